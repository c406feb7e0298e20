namespace Expt.Statistics;

/// <summary>
/// Is A different from B, and by how much: the difference of means (A − B) with its Welch confidence interval and
/// t-test p-value, and the Mann-Whitney U test: its exact distribution when there are no ties and both groups have
/// fewer than 50 values (as R's <c>wilcox.test</c> does; scipy too, below 8), else the normal approximation with tie and
/// continuity corrections. <see cref="MannWhitneyMethod"/> says which gave the p-value.
/// </summary>
public sealed record GroupComparison(
    int NA, int NB, double MeanA, double MeanB, double Difference, double CiLow, double CiHigh,
    double WelchT, double WelchDf, double WelchP, double MannWhitneyU, double MannWhitneyZ, double MannWhitneyP,
    string MannWhitneyMethod)
{
    /// <summary>The p-value came from the exact distribution of U.</summary>
    public const string Exact = "exact";

    /// <summary>The p-value came from the normal approximation (ties, or a group of 50 or more).</summary>
    public const string NormalApproximation = "normal approximation";

    // R's threshold: below it, and without ties, the exact distribution is cheap and what the references report.
    private const int ExactBelow = 50;

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
        var (u, z, pu, method) = MannWhitney(x, y);
        return new GroupComparison(nx, ny, mx, my, diff, diff - (tq * se), diff + (tq * se), t, df, p, u, z, pu, method);
    }

    private static (double U, double Z, double P, string Method) MannWhitney(double[] x, double[] y)
    {
        var (nx, ny) = (x.Length, y.Length);
        if (nx == 0 || ny == 0)
        {
            return (double.NaN, double.NaN, double.NaN, NormalApproximation);
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
            return (u, double.NaN, double.NaN, NormalApproximation);
        }
        var correction = u > mean ? -0.5 : u < mean ? 0.5 : 0;
        var z = (u - mean + correction) / Math.Sqrt(variance);
        if (tieTerm == 0 && nx < ExactBelow && ny < ExactBelow)
        {
            // Two-sided: twice the upper tail at the larger of U and its mirror nx·ny − U (the distribution is symmetric).
            var upper = UpperTail(nx, ny, (int)Math.Max(u, (nx * ny) - u));
            return (u, z, Math.Min(1, 2 * upper), Exact);
        }
        return (u, z, Math.Min(1, 2 * (1 - SpecialFunctions.NormalCdf(Math.Abs(z)))), NormalApproximation);
    }

    /// <summary>
    /// P(U ≥ u) for group sizes m and n with no ties, by Mann and Whitney's recurrence in probabilities,
    /// p(u; i, j) = i/(i+j)·p(u − j; i − 1, j) + j/(i+j)·p(u; i, j − 1): all terms positive, so nothing cancels.
    /// </summary>
    internal static double UpperTail(int m, int n, int u)
    {
        // previous[j] is the distribution for sizes (i − 1, j); current[j] for (i, j).
        var previous = new double[n + 1][];
        for (var j = 0; j <= n; j++)
        {
            previous[j] = [1.0]; // i = 0: U is 0
        }
        for (var i = 1; i <= m; i++)
        {
            var current = new double[n + 1][];
            current[0] = [1.0]; // j = 0: U is 0
            for (var j = 1; j <= n; j++)
            {
                var p = new double[(i * j) + 1];
                double fromA = (double)i / (i + j), fromB = (double)j / (i + j);
                var a = previous[j];     // the largest value is an A: it is above all j B's
                var b = current[j - 1];  // the largest value is a B
                for (var k = 0; k < a.Length; k++)
                {
                    p[k + j] += fromA * a[k];
                }
                for (var k = 0; k < b.Length; k++)
                {
                    p[k] += fromB * b[k];
                }
                current[j] = p;
            }
            previous = current;
        }
        var distribution = previous[n];
        var tail = 0.0;
        for (var k = distribution.Length - 1; k >= Math.Max(u, 0); k--)
        {
            tail += distribution[k];
        }
        return tail;
    }
}
