namespace Expt.Statistics;

/// <summary>
/// A − B over pairs (the same seed run in both groups): the mean difference with its Student t confidence interval and
/// the paired t-test (scipy's <c>ttest_rel</c>). Pairing removes what the seed contributes to both, so it can see a
/// difference that the unpaired tests miss.
/// </summary>
public sealed record PairedComparison(int N, double MeanDifference, double CiLow, double CiHigh, double T, double Df, double P)
{
    /// <summary>Compares pairs (pairs with a non-finite value left out) at the given confidence level.</summary>
    public static PairedComparison Of(IEnumerable<(double A, double B)> pairs, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var d = pairs.Where(p => double.IsFinite(p.A) && double.IsFinite(p.B)).Select(p => p.A - p.B).ToArray();
        var n = d.Length;
        if (n < 2)
        {
            return new PairedComparison(n, n == 1 ? d[0] : double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var mean = d.Average();
        var sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var se = sd / Math.Sqrt(n);
        double df = n - 1;
        if (se == 0)
        {
            return new PairedComparison(n, mean, mean, mean, double.NaN, df, double.NaN); // every pair differs alike: no spread, no test
        }
        var t = mean / se;
        var p = 2 * (1 - SpecialFunctions.StudentTCdf(Math.Abs(t), df));
        var q = SpecialFunctions.StudentTInverseCdf(1 - ((1 - confidence) / 2), df);
        return new PairedComparison(n, mean, mean - (q * se), mean + (q * se), t, df, p);
    }
}
