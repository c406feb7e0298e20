using Expt.Analysis;
using Expt.Statistics;

namespace Expt.Adaptive;

/// <summary>
/// One round of a race: which candidates are worse than the best over the same replicates (blocks).
/// </summary>
public static class RaceStatistics
{
    /// <summary>Compares candidates over complete blocks.</summary>
    /// <param name="values">One row per candidate, one column per block (replicate); every value finite.</param>
    /// <param name="goal">Which way is better.</param>
    /// <param name="test">The test.</param>
    /// <param name="alpha">The significance level.</param>
    /// <returns>The best candidate, each candidate's p-value against it (1 for the best), and which are eliminated.</returns>
    public static RaceRound Compare(IReadOnlyList<double[]> values, Goal goal, RaceTest test, double alpha)
    {
        ArgumentNullException.ThrowIfNull(values);
        var k = values.Count;
        var blocks = k == 0 ? 0 : values[0].Length;
        var none = new RaceRound(Best(values, goal), Enumerable.Repeat(1.0, k).ToArray(), new bool[k]);
        if (k < 2 || blocks < 2)
        {
            return none;
        }
        // Oriented so that larger is worse whatever the goal.
        var sign = goal == Goal.Minimize ? 1.0 : -1.0;
        var x = values.Select(row => row.Select(v => sign * v).ToArray()).ToList();
        return test == RaceTest.T ? PairedT(x, alpha) : Friedman(x, alpha);
    }

    /// <summary>
    /// Bad replicates (NaN in <paramref name="values"/>: a run that diverged, reported no value, or failed for good)
    /// made the worst values of the round, so they weigh as losses and never as wins or as absences. For Friedman's
    /// ranks a bad replicate is infinitely bad (last in its block; bad ones tie). For the t-tests, whose means must stay
    /// finite, it is the worst finite value of the round plus the round's range: worse than any run that worked, by as
    /// much as the runs that worked differ. A round with no finite value at all has nothing to tell apart (all equal).
    /// </summary>
    public static IReadOnlyList<double[]> FillBad(IReadOnlyList<double[]> values, Goal goal, RaceTest test)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.SelectMany(v => v).Where(double.IsFinite).ToList();
        double bad;
        if (finite.Count == 0)
        {
            bad = 0;
        }
        else if (test == RaceTest.Friedman)
        {
            bad = goal == Goal.Minimize ? double.PositiveInfinity : double.NegativeInfinity;
        }
        else
        {
            var (low, high) = (finite.Min(), finite.Max());
            var range = high > low ? high - low : Math.Max(Math.Abs(high), 1);
            bad = goal == Goal.Minimize ? high + range : low - range;
        }
        return values.Select(row => row.Select(v => double.IsFinite(v) ? v : bad).ToArray()).ToList();
    }

    /// <summary>The candidate with the best mean (the first of equals).</summary>
    public static int Best(IReadOnlyList<double[]> values, Goal goal)
    {
        ArgumentNullException.ThrowIfNull(values);
        var best = 0;
        for (var i = 1; i < values.Count; i++)
        {
            var (mi, mb) = (values[i].Average(), values[best].Average());
            if (goal == Goal.Minimize ? mi < mb : mi > mb)
            {
                best = i;
            }
        }
        return best;
    }

    // One-sided paired t-tests of each candidate against the best (H1: worse), Holm's step-down over the k − 1 tests.
    private static RaceRound PairedT(List<double[]> x, double alpha)
    {
        var k = x.Count;
        var n = x[0].Length;
        var best = 0;
        for (var i = 1; i < k; i++)
        {
            if (x[i].Average() < x[best].Average())
            {
                best = i;
            }
        }
        var raw = new double[k];
        for (var i = 0; i < k; i++)
        {
            if (i == best)
            {
                raw[i] = 1;
                continue;
            }
            var d = new double[n];
            for (var j = 0; j < n; j++)
            {
                d[j] = x[i][j] - x[best][j];
            }
            var mean = d.Average();
            var sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (n - 1));
            // Identical differences in every block: no spread to test, the sign decides.
            raw[i] = sd <= Math.Abs(mean) * 1e-12 || sd == 0
                ? (mean > 0 ? 0 : 1)
                : 1 - SpecialFunctions.StudentTCdf(mean / (sd / Math.Sqrt(n)), n - 1);
        }
        var adjusted = Holm(raw, best);
        return new RaceRound(best, adjusted, adjusted.Select((p, i) => i != best && p <= alpha).ToArray());
    }

    /// <summary>Holm's step-down adjusted p-values over every candidate but <paramref name="skip"/> (which gets 1).</summary>
    public static double[] Holm(IReadOnlyList<double> p, int skip)
    {
        ArgumentNullException.ThrowIfNull(p);
        var order = Enumerable.Range(0, p.Count).Where(i => i != skip).OrderBy(i => p[i]).ThenBy(i => i).ToList();
        var m = order.Count;
        var adjusted = Enumerable.Repeat(1.0, p.Count).ToArray();
        var running = 0.0;
        for (var j = 0; j < m; j++)
        {
            running = Math.Max(running, Math.Min(1, (m - j) * p[order[j]]));
            adjusted[order[j]] = running;
        }
        return adjusted;
    }

    // The Friedman test on within-block ranks; when it rejects, Conover's comparisons of rank sums against the best (as
    // F-Race does). The omnibus test guards the comparisons: no further correction.
    private static RaceRound Friedman(List<double[]> x, double alpha)
    {
        var k = x.Count;
        var b = x[0].Length;
        var ranks = new double[k];
        var a = 0.0;
        for (var j = 0; j < b; j++)
        {
            var r = RanksOf(x.Select(row => row[j]).ToArray());
            for (var i = 0; i < k; i++)
            {
                ranks[i] += r[i];
                a += r[i] * r[i];
            }
        }
        var best = 0;
        for (var i = 1; i < k; i++)
        {
            if (ranks[i] < ranks[best])
            {
                best = i;
            }
        }
        var c = b * k * (k + 1) * (k + 1) / 4.0;
        var none = new RaceRound(best, Enumerable.Repeat(1.0, k).ToArray(), new bool[k]);
        if (a - c <= 1e-9)
        {
            return none; // every block tied throughout: nothing differs
        }
        var t = (k - 1) * ranks.Sum(r => (r - (b * (k + 1) / 2.0)) * (r - (b * (k + 1) / 2.0))) / (a - c);
        var omnibus = 1 - SpecialFunctions.RegularizedGammaP((k - 1) / 2.0, t / 2);
        if (omnibus > alpha)
        {
            return none with { PValues = Enumerable.Repeat(Math.Min(1, omnibus), k).Select((p, i) => i == best ? 1 : p).ToArray() };
        }
        var df = (b - 1) * (k - 1);
        var scale = 2 * b * (a - c) / df * (1 - (t / (b * (k - 1))));
        var p = new double[k];
        for (var i = 0; i < k; i++)
        {
            var diff = ranks[i] - ranks[best];
            if (i == best || diff <= 0)
            {
                p[i] = 1;
            }
            else if (scale <= 0)
            {
                p[i] = 0; // complete separation: every block ranks them the same way
            }
            else
            {
                p[i] = 2 * (1 - SpecialFunctions.StudentTCdf(diff / Math.Sqrt(scale), df));
            }
        }
        return new RaceRound(best, p, p.Select((v, i) => i != best && v < alpha).ToArray());
    }

    /// <summary>A p-value for people: 0, 3.2e-5, 0.0081.</summary>
    public static string FormatP(double p) => p == 0 ? "0"
        : p < 1e-4 ? p.ToString("0.0e+0", System.Globalization.CultureInfo.InvariantCulture)
        : p.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Ranks from 1 (smallest), ties given their mean rank.</summary>
    public static double[] RanksOf(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }
            var rank = ((start + end) / 2.0) + 1;
            for (var i = start; i <= end; i++)
            {
                ranks[order[i]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }
}
