using System.Globalization;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>
/// The table a run ends with: one row per parameter point, the numeric results averaged over its completed
/// replications (mean ± standard deviation when there are several).
/// </summary>
internal static class PointTable
{
    public static TableData Build(IReadOnlyList<TrialRecord> trials, int maxRows = 50)
    {
        var groups = trials.GroupBy(t => t.ParamsJson).ToList();
        var paramNames = groups.SelectMany(g => ParamSet.FromJson(g.Key).Names).Distinct(StringComparer.Ordinal).ToList();
        var resultNames = trials.Where(t => t.Status == TrialStatus.Completed)
            .SelectMany(t => TrialJson.ResultValues(t.ResultsJson).Where(r => ParamValues.IsNumber(r.Value)).Select(r => r.Key))
            .Distinct(StringComparer.Ordinal).Take(6).ToList();
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
        return new TableData(headers, rows) { RightAligned = right };
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
