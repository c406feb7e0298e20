using Expt.Spec;
using Expt.Statistics;

namespace Expt.Analysis;

/// <summary>One group of trials (a parameter point, or the values of the <c>--by</c> keys) and its statistics for one metric.</summary>
/// <param name="Key">The group's parameter values.</param>
/// <param name="Metric">The metric.</param>
/// <param name="Stats">Statistics over the completed trials that have the metric.</param>
/// <param name="Failed">Failed or timed-out trials, left out of the statistics.</param>
/// <param name="Missing">Completed trials without a numeric value for the metric.</param>
/// <param name="Rank">1 for the best mean; null for a group with no values.</param>
public sealed record GroupSummary(ParamSet Key, string Metric, Descriptive Stats, int Failed, int Missing, int? Rank)
{
    /// <summary>Which way the ranks go.</summary>
    public Goal Goal { get; init; } = Goal.Minimize;
}
