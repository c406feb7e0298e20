using System.Globalization;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>
/// The table a run ends with: one row per parameter point, the numeric results averaged over its completed
/// replications (mean ± standard deviation when there are several). What matters leads: the parameters that vary,
/// then the objectives, then other results; a parameter with one value in every row is said once above the table
/// (<see cref="Constants"/>), not repeated in a column that would push the results off an 80-column terminal.
/// </summary>
internal static class PointTable
{
    /// <summary>The parameters with the same value in every row of <see cref="Build"/>'s table: "dim=5 iters=5000", or null.</summary>
    public static string? Constants(IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var points = trials.Select(t => t.ParamsJson).Distinct(StringComparer.Ordinal).Select(ParamSet.FromJson).ToList();
        var constant = ConstantNames(points);
        return constant.Count == 0 ? null : string.Join(' ', constant.Select(n => $"{n}={ParamValues.Format(points[0][n])}"));
    }

    private static List<string> ConstantNames(List<ParamSet> points)
    {
        if (points.Count < 2)
        {
            return []; // one row: every value is in it
        }
        return [.. points[0].Names.Where(n => points.All(p => p.TryGetValue(n, out var v) && Equals(ParamValues.Format(v), ParamValues.Format(points[0][n]))))];
    }

    public static TableData Build(IReadOnlyList<TrialRecord> trials, IReadOnlyList<string>? objectives = null, int maxRows = 50)
    {
        var groups = trials.GroupBy(t => t.ParamsJson).ToList();
        var constant = ConstantNames([.. groups.Select(g => ParamSet.FromJson(g.Key))]).ToHashSet(StringComparer.Ordinal);
        var paramNames = groups.SelectMany(g => ParamSet.FromJson(g.Key).Names).Distinct(StringComparer.Ordinal).Where(n => !constant.Contains(n)).ToList();
        var numeric = trials.Where(t => t.Status == TrialStatus.Completed)
            .SelectMany(t => TrialJson.ResultValues(t.ResultsJson).Where(r => ParamValues.IsNumber(r.Value)).Select(r => r.Key))
            .Distinct(StringComparer.Ordinal).ToList();
        // Objectives first (never the ones left out), then the other results in the order trials reported them.
        var first = (objectives ?? []).Where(numeric.Contains).ToList();
        var resultNames = first.Concat(numeric.Where(n => !first.Contains(n))).Take(Math.Max(6, first.Count)).ToList();
        var headers = paramNames.Concat(["done"]).Concat(resultNames).ToList();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var group in groups.Take(maxRows))
        {
            var point = ParamSet.FromJson(group.Key);
            var completed = group.Where(t => t.Status == TrialStatus.Completed).ToList();
            var row = paramNames.Select(n => point.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty).ToList();
            var problems = group.Count(t => t.Status is TrialStatus.Failed or TrialStatus.Timeout);
            row.Add($"{completed.Count}/{group.Count()}{(problems > 0 ? $" ({problems} failed)" : string.Empty)}");
            foreach (var name in resultNames)
            {
                var values = completed.Select(t => TrialJson.ResultValues(t.ResultsJson).FirstOrDefault(r => r.Key == name).Value)
                    .Where(ParamValues.IsNumber).Select(ParamValues.ToDouble).ToList();
                row.Add(Format(values));
            }
            rows.Add(row);
        }
        var right = new HashSet<int>(Enumerable.Range(paramNames.Count, 1 + resultNames.Count));
        // Narrow terminals keep the objectives, then the parameters that tell the rows apart, then done, then the
        // other results in the order reported.
        var priority = paramNames.Select((_, i) => 800 - i).Append(500).Concat(resultNames.Select((n, i) => first.Contains(n) ? 1000 - i : 400 - i)).ToList();
        return new TableData(headers, rows) { RightAligned = right, Priority = priority };
    }

    private static string Format(List<double> all)
    {
        // Non-finite values (Python's NaN, inf) are left out of the mean and said, as in expt summary.
        var values = all.Where(double.IsFinite).ToList();
        var excluded = all.Count - values.Count;
        var note = excluded == 0 ? string.Empty : $" ({excluded} non-finite)";
        if (values.Count == 0)
        {
            return excluded == 0 ? "-" : $"-{note}";
        }
        return Mean(values) + note;
    }

    private static string Mean(List<double> values)
    {
        var mean = values.Average();
        if (values.Count == 1)
        {
            return G(mean);
        }
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        if (std <= 1e-12 * Math.Abs(mean))
        {
            std = 0; // equal values: rounding noise is not spread
        }
        return $"{G(mean)} ± {G(std)}";
    }

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
