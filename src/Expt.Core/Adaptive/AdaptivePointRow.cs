using Expt.Spec;

namespace Expt.Adaptive;

/// <summary>One point of an adaptive study, as reports show it.</summary>
/// <param name="Key">The point's key (the trial key of its replicate 0).</param>
/// <param name="Params">Its parameters.</param>
/// <param name="Decision">What was decided about it; null while it runs (or races).</param>
/// <param name="Trials">Its replicates created so far.</param>
/// <param name="Completed">Its replicates completed.</param>
/// <param name="Metric">The result the decisions are about (a race's metric, the first one the rule reads), or null.</param>
/// <param name="Stats">That result over the completed replicates that have a finite value of it.</param>
public sealed record AdaptivePointRow(string Key, ParamSet Params, PointDecision? Decision, int Trials, int Completed, string? Metric, Statistics.Descriptive Stats)
{
    /// <summary>Replicates whose answer was bad: completed without a finite value of the metric, or failed for good.</summary>
    public int Bad { get; init; }

    /// <summary>The mean as a race weighs it (bad replicates as the worst values, see <see cref="RaceStatistics.FillBad"/>); NaN outside races.</summary>
    public double RaceMean { get; init; } = double.NaN;
}
