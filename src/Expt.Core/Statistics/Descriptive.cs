namespace Expt.Statistics;

/// <summary>
/// Summary statistics of one sample. <see cref="Std"/> is the sample standard deviation (n − 1); the confidence
/// interval is mean ± t(1 − α/2, n − 1) · sem. With n = 1, std, sem and the interval are NaN. Non-finite inputs (NaN,
/// ±infinity: what a diverged run reports) are left out and counted in <see cref="NonFinite"/>.
/// </summary>
public sealed record Descriptive(int N, double Mean, double Std, double Sem, double CiLow, double CiHigh, double Min, double Median, double Max, int NonFinite)
{
    /// <summary>Describes a sample with a 95% confidence interval.</summary>
    public static Descriptive Of(IEnumerable<double> values, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        var all = values.ToList();
        var data = all.Where(double.IsFinite).Order().ToArray();
        var nans = all.Count - data.Length;
        if (data.Length == 0)
        {
            return new Descriptive(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, nans);
        }
        var n = data.Length;
        // Two-pass mean and variance: exact enough for samples whose spread is tiny next to their mean.
        var mean = data.Sum() / n;
        var variance = n > 1 ? data.Sum(v => (v - mean) * (v - mean)) / (n - 1) : double.NaN;
        var std = Math.Sqrt(variance);
        var sem = std / Math.Sqrt(n);
        var t = n > 1 ? SpecialFunctions.StudentTInverseCdf(1 - ((1 - confidence) / 2), n - 1) : double.NaN;
        return new Descriptive(n, mean, std, sem, mean - (t * sem), mean + (t * sem), data[0], Quantile(data, 0.5), data[^1], nans);
    }

    /// <summary>A quantile of sorted data, linear between closest ranks (numpy's default, R's type 7).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
