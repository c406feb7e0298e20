namespace Expt.Statistics;

/// <summary>
/// The special functions the statistics need, in double precision: log-gamma (Lanczos), the regularized incomplete
/// beta (continued fraction) and gamma (series / continued fraction) functions. Checked against MathNet.Numerics in the tests.
/// </summary>
internal static class SpecialFunctions
{
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    public static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }
        x -= 1;
        var a = Lanczos[0];
        var t = x + 7.5;
        for (var i = 1; i < 9; i++)
        {
            a += Lanczos[i] / (x + i);
        }
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(a);
    }

    /// <summary>I_x(a, b).</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0)
        {
            return 0;
        }
        if (x >= 1)
        {
            return 1;
        }
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + (a * Math.Log(x)) + (b * Math.Log(1 - x)));
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(a, b, x) / a
            : 1 - (front * BetaContinuedFraction(b, a, 1 - x) / b);
    }

    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        var c = 1.0;
        var d = 1 - ((a + b) * x / (a + 1));
        d = Math.Abs(d) < tiny ? tiny : d;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 10_000; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + (aa * d);
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + (aa * d);
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }
        return h;
    }

    /// <summary>P(a, x), the regularized lower incomplete gamma function.</summary>
    public static double RegularizedGammaP(double a, double x)
    {
        if (x <= 0)
        {
            return 0;
        }
        if (x < a + 1)
        {
            var sum = 1 / a;
            var term = sum;
            for (var n = 1; n < 10_000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-17)
                {
                    break;
                }
            }
            return sum * Math.Exp(-x + (a * Math.Log(x)) - LogGamma(a));
        }
        return 1 - RegularizedGammaQContinuedFraction(a, x);
    }

    private static double RegularizedGammaQContinuedFraction(double a, double x)
    {
        const double tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = b + (an / c);
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }
        return Math.Exp(-x + (a * Math.Log(x)) - LogGamma(a)) * h;
    }

    /// <summary>The standard normal CDF.</summary>
    public static double NormalCdf(double z)
    {
        var half = 0.5 * RegularizedGammaP(0.5, z * z / 2);
        return z >= 0 ? 0.5 + half : 0.5 - half;
    }

    /// <summary>The Student t CDF with <paramref name="df"/> degrees of freedom.</summary>
    public static double StudentTCdf(double t, double df)
    {
        var tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, df / (df + (t * t)));
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The Student t quantile: the t with CDF(t) = p.</summary>
    public static double StudentTInverseCdf(double p, double df)
    {
        if (p <= 0 || p >= 1 || double.IsNaN(p) || !(df > 0))
        {
            return double.NaN;
        }
        // Bracket, then bisect: slow but exact to the last digits, and this is called once per group.
        double lo = -1, hi = 1;
        while (StudentTCdf(lo, df) > p)
        {
            lo *= 2;
        }
        while (StudentTCdf(hi, df) < p)
        {
            hi *= 2;
        }
        for (var i = 0; i < 200 && hi - lo > 1e-15 * Math.Max(1, Math.Abs(lo)); i++)
        {
            var mid = (lo + hi) / 2;
            if (StudentTCdf(mid, df) < p)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }
}
