using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Analysis;

/// <summary>
/// Merges array results across replications, per group: element-wise (<see cref="ArraySummary"/>) or pooled into one
/// distribution (<see cref="PooledSummary"/>), as ORruns' merge_config does for arrays and distributions.
/// </summary>
public static class ArraySummarizer
{
    /// <summary>The quantiles a pooled distribution reports.</summary>
    public static readonly IReadOnlyList<double> Quantiles = [0.05, 0.25, 0.5, 0.75, 0.95];

    /// <summary>The result names that hold an array of numbers in some completed trial, in first-seen order.</summary>
    public static IReadOnlyList<string> ArrayMetrics(IEnumerable<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var trial in trials.Where(t => t.Status == TrialStatus.Completed))
        {
            foreach (var (name, value) in trial.ParsedResults)
            {
                if (value is string text && text.StartsWith('[') && !seen.Contains(name) && ResultValues.Array(trial.ResultsJson, name) is { Length: > 0 } array && array.Any(double.IsFinite))
                {
                    seen.Add(name);
                    names.Add(name);
                }
            }
        }
        return names;
    }

    /// <summary>Element-wise mean, std and 95% CI of an array result, per group, in replicate order.</summary>
    public static IReadOnlyList<ArraySummary> ElementWise(IReadOnlyList<TrialRecord> trials, string metric, IReadOnlyList<string>? by = null, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(metric);
        return Summarizer.Group(trials, by).Select(g =>
        {
            var arrays = Arrays(g.Trials, metric);
            var length = arrays.Count == 0 ? 0 : arrays.Max(a => a.Length);
            var n = new int[length];
            var mean = new double[length];
            var std = new double[length];
            var low = new double[length];
            var high = new double[length];
            var column = new List<double>(arrays.Count);
            for (var i = 0; i < length; i++)
            {
                column.Clear();
                column.AddRange(arrays.Where(a => i < a.Length).Select(a => a[i]));
                var stats = Descriptive.Of(column, confidence);
                (n[i], mean[i], std[i], low[i], high[i]) = (stats.N, stats.Mean, stats.Std, stats.CiLow, stats.CiHigh);
            }
            var nonFinite = arrays.Sum(a => a.Count(v => !double.IsFinite(v)));
            return new ArraySummary(g.Key, metric, arrays.Count, n, mean, std, low, high, nonFinite);
        }).ToList();
    }

    /// <summary>Every element of an array result of a group's trials pooled into one distribution, per group.</summary>
    public static IReadOnlyList<PooledSummary> Pooled(IReadOnlyList<TrialRecord> trials, string metric, IReadOnlyList<string>? by = null, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(metric);
        return Summarizer.Group(trials, by).Select(g =>
        {
            var arrays = Arrays(g.Trials, metric);
            var all = arrays.SelectMany(a => a).ToList();
            var stats = Descriptive.Of(all, confidence);
            var sorted = all.Where(double.IsFinite).Order().ToList();
            var quantiles = Quantiles.Select(q => (q, sorted.Count == 0 ? double.NaN : Descriptive.Quantile(sorted, q))).ToList();
            return new PooledSummary(g.Key, metric, arrays.Count, stats, quantiles);
        }).ToList();
    }

    private static List<double[]> Arrays(IEnumerable<TrialRecord> trials, string metric) =>
        trials.Where(t => t.Status == TrialStatus.Completed)
            .OrderBy(t => t.Replicate).ThenBy(t => t.Seq)
            .Select(t => ResultValues.Array(t.ResultsJson, metric))
            .Where(a => a is not null)
            .Select(a => a!)
            .ToList();
}
