namespace Expt.Analysis;

/// <summary>A step metric of one group, aggregated element-wise across its trials (aligned by step).</summary>
/// <param name="Key">The group.</param>
/// <param name="Metric">The metric.</param>
/// <param name="Steps">The steps any trial logged, ascending.</param>
/// <param name="Mean">The mean at each step over the trials that logged it.</param>
/// <param name="Std">The sample standard deviation at each step (NaN with fewer than two values).</param>
/// <param name="N">How many trials logged each step.</param>
public sealed record Curve(Spec.ParamSet Key, string Metric, long[] Steps, double[] Mean, double[] Std, int[] N)
{
    /// <summary>Aggregates the series of several trials by step; non-finite values (NaN, infinities) are left out.</summary>
    public static Curve Aggregate(Spec.ParamSet key, string metric, IEnumerable<IReadOnlyList<(long Step, double Value)>> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var byStep = new SortedDictionary<long, List<double>>();
        foreach (var trial in series)
        {
            foreach (var (step, value) in trial)
            {
                if (!double.IsFinite(value))
                {
                    continue;
                }
                if (!byStep.TryGetValue(step, out var values))
                {
                    byStep[step] = values = [];
                }
                values.Add(value);
            }
        }
        var steps = byStep.Keys.ToArray();
        var mean = byStep.Values.Select(v => v.Average()).ToArray();
        var std = byStep.Values.Select((v, i) => v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean[i]) * (x - mean[i])) / (v.Count - 1)) : double.NaN).ToArray();
        return new Curve(key, metric, steps, mean, std, byStep.Values.Select(v => v.Count).ToArray());
    }
}
