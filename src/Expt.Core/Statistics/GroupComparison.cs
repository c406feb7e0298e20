namespace Expt.Statistics;

/// <summary>
/// Is A different from B, and by how much: the difference of means (A − B) with its Welch confidence interval and
/// t-test p-value, and the Mann-Whitney U test (normal approximation with tie and continuity corrections).
/// </summary>
public sealed record GroupComparison(
    int NA, int NB, double MeanA, double MeanB, double Difference, double CiLow, double CiHigh,
    double WelchT, double WelchDf, double WelchP, double MannWhitneyU, double MannWhitneyZ, double MannWhitneyP)
{
    /// <summary>Compares two samples (non-finite values left out) at the given confidence level.</summary>
    public static GroupComparison Of(IEnumerable<double> a, IEnumerable<double> b, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = a.Where(double.IsFinite).ToArray();
        var y = b.Where(double.IsFinite).ToArray();
        var (nx, ny) = (x.Length, y.Length);
        var mx = nx > 0 ? x.Average() : double.NaN;
        var my = ny > 0 ? y.Average() : double.NaN;
        var vx = nx > 1 ? x.Sum(v => (v - mx) * (v - mx)) / (nx - 1) : double.NaN;
        var vy = ny > 1 ? y.Sum(v => (v - my) * (v - my)) / (ny - 1) : double.NaN;
        var se2 = (vx / nx) + (vy / ny);
        var se = Math.Sqrt(se2);
        var diff = mx - my;
        // Welch–Satterthwaite degrees of freedom.
        var df = se2 * se2 / ((vx * vx / ((double)nx * nx * (nx - 1))) + (vy * vy / ((double)ny * ny * (ny - 1))));
        double t, p, tq;
        if (se > 0)
        {
            t = diff / se;
            p = 2 * (1 - SpecialFunctions.StudentTCdf(Math.Abs(t), df));
            tq = SpecialFunctions.StudentTInverseCdf(1 - ((1 - confidence) / 2), df);
        }
        else
        {
            // Both samples constant: no spread, so no test.
            (t, p, tq, df) = (double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var (u, z, pu) = MannWhitney(x, y);
        return new GroupComparison(nx, ny, mx, my, diff, diff - (tq * se), diff + (tq * se), t, df, p, u, z, pu);
    }

    private static (double U, double Z, double P) MannWhitney(double[] x, double[] y)
    {
        var (nx, ny) = (x.Length, y.Length);
        if (nx == 0 || ny == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }
        var all = x.Select(v => (Value: v, FromX: true)).Concat(y.Select(v => (Value: v, FromX: false))).OrderBy(p => p.Value).ToArray();
        var ranks = new double[all.Length];
        var tieTerm = 0.0;
        for (var i = 0; i < all.Length;)
        {
            var j = i;
            while (j + 1 < all.Length && all[j + 1].Value == all[i].Value)
            {
                j++;
            }
            var rank = (i + j + 2) / 2.0; // average of ranks i+1..j+1
            for (var k = i; k <= j; k++)
            {
                ranks[k] = rank;
            }
            var ties = j - i + 1;
            tieTerm += (ties * ties * (double)ties) - ties;
            i = j + 1;
        }
        var rx = all.Select((p, i) => p.FromX ? ranks[i] : 0).Sum();
        var u = rx - (nx * (nx + 1) / 2.0);
        var n = nx + ny;
        var mean = nx * ny / 2.0;
        var variance = nx * ny / 12.0 * ((n + 1) - (tieTerm / (n * (n - 1.0))));
        if (variance <= 0)
        {
            return (u, double.NaN, double.NaN);
        }
        var correction = u > mean ? -0.5 : u < mean ? 0.5 : 0;
        var z = (u - mean + correction) / Math.Sqrt(variance);
        return (u, z, Math.Min(1, 2 * (1 - SpecialFunctions.NormalCdf(Math.Abs(z)))));
    }
}
