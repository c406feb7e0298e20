using Expt.Adaptive;
using Expt.Analysis;

namespace Expt.Core.Tests;

/// <summary>The tests a race runs, against values computed by hand or by R.</summary>
public sealed class RaceStatisticsTests
{
    [Fact]
    public void Holm_adjusts_step_down_and_keeps_the_order()
    {
        // R: p.adjust(c(0.01, 0.04, 0.03), "holm") = 0.03 0.06 0.06
        var adjusted = RaceStatistics.Holm([0.01, 0.5, 0.04, 0.03], skip: 1);
        adjusted[0].ShouldBe(0.03, 1e-12);
        adjusted[1].ShouldBe(1);
        adjusted[2].ShouldBe(0.06, 1e-12);
        adjusted[3].ShouldBe(0.06, 1e-12);
    }

    [Fact]
    public void The_paired_t_test_is_one_sided_against_the_best_mean()
    {
        // Differences to the best: 1, 2, 3, 4 → t = 2.5 / (1.291 / 2) = 3.873, df 3: one-sided p = 0.01522 (R: pt(3.873, 3, lower=FALSE)).
        double[] best = [0, 0, 0, 0];
        double[] worse = [1, 2, 3, 4];
        var round = RaceStatistics.Compare([worse, best], Goal.Minimize, RaceTest.T, 0.05);
        round.Best.ShouldBe(1);
        round.PValues[0].ShouldBe(0.01522, 1e-4);
        round.Eliminated.ShouldBe([true, false]);
        // Maximizing, the same numbers make the other one the best, and nothing is worse than it by a test on these.
        RaceStatistics.Compare([worse, best], Goal.Maximize, RaceTest.T, 0.05).Best.ShouldBe(0);
        // A constant difference has no spread: its sign decides.
        RaceStatistics.Compare([[1, 1, 1], [0, 0, 0]], Goal.Minimize, RaceTest.T, 0.05).Eliminated.ShouldBe([true, false]);
        RaceStatistics.Compare([[1, 1, 1], [1, 1, 1]], Goal.Minimize, RaceTest.T, 0.05).Eliminated.ShouldBe([false, false]);
    }

    [Fact]
    public void Friedman_gates_Conovers_comparisons()
    {
        // Three candidates, six blocks; the third is always worst, the first two alternate. Friedman: T = 9, p = 0.0111.
        double[][] values = [[1, 2, 1, 2, 1, 2], [2, 1, 2, 1, 2, 1], [3, 3, 3, 3, 3, 3]];
        var round = RaceStatistics.Compare(values, Goal.Minimize, RaceTest.Friedman, 0.05);
        round.Eliminated.ShouldBe([false, false, true]);
        round.PValues[2].ShouldBeLessThan(0.05);
        // All ties: nothing differs.
        RaceStatistics.Compare([[1, 1, 1], [1, 1, 1]], Goal.Minimize, RaceTest.Friedman, 0.05).Eliminated.ShouldBe([false, false]);
        // Too few blocks to test: nobody is eliminated.
        RaceStatistics.Compare([[1], [9]], Goal.Minimize, RaceTest.Friedman, 0.05).Eliminated.ShouldBe([false, false]);
    }

    [Fact]
    public void Ranks_share_ties()
    {
        RaceStatistics.RanksOf([3, 1, 3, 2]).ShouldBe([3.5, 1, 3.5, 2]);
    }

    // Reference values from scipy 1.10.1 (the script's steps in each comment), kept as fixtures: a race decides with
    // these numbers, so they must be the references' to many digits.
    [Fact]
    public void Paired_t_with_holm_agrees_with_scipy()
    {
        // ttest_rel(x[i], x[best], alternative="greater").pvalue for each i, then Holm's step-down over the three.
        double[][] x =
        [
            [0.0342, 1.3597, 1.2247, -0.5103, -0.298, -0.5274, 0.5697, -0.0561],
            [1.0469, -1.5473, 1.8665, 0.2036, 0.9804, 0.1634, -0.0791, 0.7631],
            [2.0245, 0.9975, 1.0472, 1.8857, 0.3297, -0.3144, 1.595, 0.5294],
            [0.0797, 1.1859, 1.5324, 0.8068, 0.5075, 2.0366, 2.8972, 1.7669],
        ];
        var round = RaceStatistics.Compare(x, Goal.Minimize, RaceTest.T, 0.05);
        round.Best.ShouldBe(0);
        double[] expected = [1.0, 0.3467015504691416, 0.05754014848744767, 0.02800160771609994];
        for (var i = 0; i < 4; i++)
        {
            round.PValues[i].ShouldBe(expected[i], expected[i] * 1e-9);
        }
        round.Eliminated.ShouldBe([false, false, false, true]);
    }

    [Fact]
    public void Friedman_agrees_with_scipy_and_conover_with_its_formula()
    {
        // friedmanchisquare(*y): statistic 2.3333, p = 0.31140322391459846: no candidate differs, each keeps that p.
        double[][] y =
        [
            [-0.7436, 0.385, 0.7172, -0.3, 0.5447, 1.0429],
            [-0.207, -0.8135, 0.3477, 0.2475, 1.0988, -1.2846],
            [-0.6616, -0.8382, -1.734, 0.1264, 0.5278, -0.7388],
        ];
        var calm = RaceStatistics.Compare(y, Goal.Minimize, RaceTest.Friedman, 0.05);
        calm.Eliminated.ShouldBe([false, false, false]);
        calm.PValues.Where((_, i) => i != calm.Best).ShouldAllBe(p => Math.Abs(p - 0.31140322391459846) < 1e-12);

        // With a tie in the first block: friedmanchisquare 24.2727, p = 2.19e-05, rejects; then Conover's t on rank sums
        // against the best (scipy.stats.rankdata per block, t.sf for the two-sided p).
        double[][] z =
        [
            [0.6928, 0.411, 0.3137, 0.2009, 0.4778, -0.666, 0.307, 0.3014, -0.8839, 0.1735],
            [0.6928, 0.5908, -0.0195, 0.1909, 0.3714, -0.2381, 0.4993, 0.1475, 0.4462, -0.0609],
            [2.0431, 1.8026, 1.411, 1.816, 2.1299, 2.3956, 0.7132, 1.9416, 1.7325, 1.4531],
            [1.0967, 2.2286, 0.9691, 1.8835, 2.2509, 0.8002, 1.4487, 0.9454, 1.722, 2.3572],
        ];
        var race = RaceStatistics.Compare(z, Goal.Minimize, RaceTest.Friedman, 0.05);
        race.Best.ShouldBe(1);
        double[] conover = [0.7084122290038316, 1.0, 2.4766666402574483e-08, 2.4766666402574483e-08];
        for (var i = 0; i < 4; i++)
        {
            race.PValues[i].ShouldBe(conover[i], conover[i] * 1e-7);
        }
        race.Eliminated.ShouldBe([false, false, true, true]);
    }
}
