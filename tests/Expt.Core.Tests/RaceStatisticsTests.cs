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
}
