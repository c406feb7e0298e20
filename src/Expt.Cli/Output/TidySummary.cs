using System.Globalization;
using Expt.Analysis;
using Expt.Spec;

namespace Expt.Cli.Output;

/// <summary>Group summaries as a tidy table (one column per statistic) for CSV and Markdown exports.</summary>
internal static class TidySummary
{
    public static TableData Build(IReadOnlyList<GroupSummary> groups)
    {
        var names = groups.SelectMany(g => g.Key.Names).Distinct(StringComparer.Ordinal).ToList();
        static string N(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;
        var rows = groups.Select(g => (IReadOnlyList<string>)names.Select(n => g.Key.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty)
            .Concat([g.Metric, g.Stats.N.ToString(CultureInfo.InvariantCulture), N(g.Stats.Mean), N(g.Stats.Std), N(g.Stats.Sem), N(g.Stats.CiLow), N(g.Stats.CiHigh),
                N(g.Stats.Min), N(g.Stats.Median), N(g.Stats.Max), g.Rank?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                g.Failed.ToString(CultureInfo.InvariantCulture), g.Missing.ToString(CultureInfo.InvariantCulture), g.Stats.NonFinite.ToString(CultureInfo.InvariantCulture)]).ToList()).ToList();
        return new TableData([.. names, "metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "min", "median", "max", "rank", "failed", "missing", "non_finite"], rows);
    }
}
