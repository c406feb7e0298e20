using Expt.Adaptive;
using Expt.Spec;

namespace Expt.Core.Tests;

/// <summary>Sequential stopping and racing, decided from completed replicates only, whatever the order they finish in.</summary>
public sealed class AdaptiveRulesTests
{
    private const string Race = """
        name: r
        command: run {mu}
        params:
          mu: [0.0, 0.05, 0.5, 1.0, 2.0]
        objectives: {loss: minimize}
        race: {test: t, alpha: 0.05, min_replications: 4, max_replications: 15}
        seed: 7
        """;

    // Normal(mu, 0.2) drawn from the trial seed: the same trial gives the same value whoever runs it.
    private static double? Normal(ParamSet p, long seed, double sigma = 0.2)
    {
        var r = new Random((int)(seed % int.MaxValue));
        var z = Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
        return Convert.ToDouble(p["mu"], System.Globalization.CultureInfo.InvariantCulture) + (sigma * z);
    }

    private static string Outcome(AdaptiveSimulator sim) => string.Join('\n',
        sim.Decisions.OrderBy(d => d.Point, StringComparer.Ordinal).Select(d => $"{d.ParamsJson} {d.StateName} r{d.Round} n{d.Replicates} p{d.PValue:R}"))
        + "\n" + string.Join(',', sim.Trials.Select(t => t.Key).Order(StringComparer.Ordinal));

    [Fact]
    public void A_race_eliminates_the_clearly_worse_points_and_keeps_the_best()
    {
        var sim = AdaptiveSimulator.Run(StudyFiles.Parse(Race), (p, s) => Normal(p, s), parallel: 4, orderSeed: 1);
        var states = sim.Decisions.ToDictionary(d => ParamSet.FromJson(d.ParamsJson).Get<double>("mu"), d => d.State);
        states[0.0].ShouldBe(PointState.Survivor);
        states[1.0].ShouldBe(PointState.Eliminated);
        states[2.0].ShouldBe(PointState.Eliminated);
        sim.Decisions.Count.ShouldBe(5);
        sim.Trials.Count.ShouldBeLessThan(5 * 15);
        sim.Decisions.Single(d => ParamSet.FromJson(d.ParamsJson).Get<double>("mu") == 2.0).Round.ShouldBe(4); // after the first round
        sim.Decisions.Where(d => d.State == PointState.Eliminated).ShouldAllBe(d => d.PValue < 0.05 && d.Reason.Contains("worse than mu=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("t")]
    [InlineData("friedman")]
    public void The_outcome_does_not_depend_on_parallelism_or_the_order_trials_finish_in(string test)
    {
        var spec = StudyFiles.Parse(Race.Replace("test: t", "test: " + test, StringComparison.Ordinal));
        var one = Outcome(AdaptiveSimulator.Run(spec, (p, s) => Normal(p, s), parallel: 1, orderSeed: 0));
        foreach (var (parallel, order) in new[] { (4, 1), (8, 2), (8, 3), (2, 4) })
        {
            Outcome(AdaptiveSimulator.Run(spec, (p, s) => Normal(p, s), parallel, order)).ShouldBe(one);
        }
    }

    [Fact]
    public void Tied_points_all_survive_to_max_replications()
    {
        var sim = AdaptiveSimulator.Run(StudyFiles.Parse(Race), (_, _) => 1.0, parallel: 3, orderSeed: 5);
        sim.Decisions.ShouldAllBe(d => d.State == PointState.Survivor && d.Round == 15);
        sim.Trials.Count.ShouldBe(5 * 15);
    }

    [Fact]
    public void A_point_failing_every_replicate_is_failed_and_the_race_goes_on_without_it()
    {
        var sim = AdaptiveSimulator.Run(StudyFiles.Parse(Race), (p, s) => p.Get<double>("mu") == 0.0 ? null : Normal(p, s), parallel: 4, orderSeed: 2);
        var failed = sim.Decisions.Single(d => ParamSet.FromJson(d.ParamsJson).Get<double>("mu") == 0.0);
        failed.State.ShouldBe(PointState.Failed);
        failed.Round.ShouldBe(4);
        failed.Reason.ShouldBe("none of its 4 replicates completed");
        sim.Decisions.ShouldContain(d => d.State == PointState.Survivor && ParamSet.FromJson(d.ParamsJson).Get<double>("mu") == 0.05);
    }

    [Fact]
    public void A_race_waits_while_any_replicate_of_the_round_is_running_or_cancelled()
    {
        var sim = AdaptiveSimulator.Run(StudyFiles.Parse(Race), (p, s) => Normal(p, s), parallel: 4, orderSeed: 1);
        var rules = AdaptiveRules.For(sim.Study)!;
        // Take the finished study back to its first round with one replicate cancelled (Ctrl+C): nothing to decide.
        var firstRound = sim.Trials.Where(t => t.Replicate < 4).Select(t => t with { }).ToList();
        firstRound[3] = firstRound[3] with { Status = Trials.TrialStatus.Cancelled };
        rules.Decide(firstRound, [], DateTimeOffset.UnixEpoch).IsEmpty.ShouldBeTrue();
        firstRound[3] = firstRound[3] with { Status = Trials.TrialStatus.Running };
        rules.Decide(firstRound, [], DateTimeOffset.UnixEpoch).IsEmpty.ShouldBeTrue();
        // Completed: the same decisions as the first time, and asking twice changes nothing more.
        firstRound[3] = sim.Trials.Single(t => t.Key == firstRound[3].Key);
        var step = rules.Decide(firstRound, [], DateTimeOffset.UnixEpoch);
        step.Decisions.Select(d => d.Point).ShouldBe(sim.Decisions.Where(d => d.Round == 4).Select(d => d.Point), ignoreOrder: true);
        rules.Decide([.. firstRound], step.Decisions, DateTimeOffset.UnixEpoch).Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void New_replicates_get_the_seeds_keys_and_places_of_a_fixed_study()
    {
        var sim = AdaptiveSimulator.Run(StudyFiles.Parse(Race), (p, s) => Normal(p, s), parallel: 4, orderSeed: 1);
        var fixedPlan = Trials.TrialPlan.Create(StudyFiles.Parse(Race.Replace("race: {test: t, alpha: 0.05, min_replications: 4, max_replications: 15}", "replications: 15", StringComparison.Ordinal)))
            .ToDictionary(t => t.Key);
        foreach (var trial in sim.Trials)
        {
            var planned = fixedPlan[trial.Key];
            (trial.Seed, trial.Replicate, trial.Seq).ShouldBe((planned.Seed, planned.Replicate, planned.Seq));
        }
    }

    [Fact]
    public void Sequential_stopping_runs_each_point_until_its_interval_is_narrow_enough()
    {
        var spec = StudyFiles.Parse("""
            name: s
            command: run {mu} {sigma}
            params: {mu: [5.0, 10.0], sigma: [0.05, 0.2, 9.0]}
            objectives: {loss: minimize}
            replications: {min: 3, max: 40, until: ci95_halfwidth(objective) < 0.02 * abs(mean(objective))}
            """);
        var sim = AdaptiveSimulator.Run(spec, (p, s) => Normal(p, s, p.Get<double>("sigma")), parallel: 4, orderSeed: 3);
        sim.Decisions.Count.ShouldBe(6);
        foreach (var d in sim.Decisions)
        {
            var p = ParamSet.FromJson(d.ParamsJson);
            var n = sim.Trials.Count(t => t.ParamsJson == d.ParamsJson);
            if (p.Get<double>("sigma") == 9.0)
            {
                (d.State, n).ShouldBe((PointState.MaxReached, 40));
                d.Reason.ShouldStartWith("max 40 replicates ran before the rule was met (n = 40, ci95_halfwidth(loss) = ");
            }
            else
            {
                d.State.ShouldBe(PointState.Precise);
                n.ShouldBe(d.Replicates);
                n.ShouldBeInRange(3, 39);
                d.Reason.ShouldStartWith($"until met: n = {n}, ci95_halfwidth(loss) = ");
            }
        }
        // The noisier point of a pair needs more replicates.
        sim.Trials.Count(t => t.ParamsJson.Contains("\"mu\":5.0,\"sigma\":0.2", StringComparison.Ordinal))
            .ShouldBeGreaterThan(sim.Trials.Count(t => t.ParamsJson.Contains("\"mu\":5.0,\"sigma\":0.05", StringComparison.Ordinal)));
    }

    [Fact]
    public void Sequential_stopping_replaces_failed_replicates_and_fails_a_point_that_never_completes()
    {
        var spec = StudyFiles.Parse("""
            name: s
            command: run {mu}
            params: {mu: [0.0, 5.0]}
            replications: {min: 3, max: 10, until: n >= 5}
            """);
        var calls = 0;
        var sim = AdaptiveSimulator.Run(spec, (p, s) => p.Get<double>("mu") == 0.0 ? null : (++calls % 3 == 0 ? null : 1.0), parallel: 2, orderSeed: 1);
        var byMu = sim.Decisions.ToDictionary(d => ParamSet.FromJson(d.ParamsJson).Get<double>("mu"));
        (byMu[0.0].State, byMu[0.0].Round).ShouldBe((PointState.Failed, 3));
        byMu[5.0].State.ShouldBe(PointState.Precise);
        byMu[5.0].Replicates.ShouldBe(5);
        sim.Trials.Count(t => t.ParamsJson.Contains("5.0", StringComparison.Ordinal)).ShouldBeGreaterThan(5);
    }

    // The report's case: a configuration that diverges on 3 of 4 seeds (NaN, +inf) and reaches 0.5 on the fourth,
    // against one that always works at about 1.0. Counting the diverged runs out named the diverging one best "over 1"
    // and eliminated the one that always works.
    private const string Diverging = """
        name: d
        command: run {cfg}
        params:
          cfg: [stable, diverging]
        objectives: {loss: minimize}
        race: {test: TEST, alpha: 0.05, min_replications: 4, max_replications: 12}
        seed: 11
        """;

    private static double? StableOrDiverging(ParamSet p, long seed) => p.Get<string>("cfg") == "stable"
        ? 1.0 + (((seed % 100) - 50) / 1000.0)
        : (seed % 4) switch { 0 => 0.5, 1 => double.NaN, 2 => double.PositiveInfinity, _ => double.NaN };

    [Theory]
    [InlineData("t")]
    [InlineData("friedman")]
    public void A_diverged_run_counts_as_the_worst_value_never_as_no_run(string test)
    {
        var spec = StudyFiles.Parse(Diverging.Replace("TEST", test, StringComparison.Ordinal));
        var sim = AdaptiveSimulator.Run(spec, StableOrDiverging, parallel: 2, orderSeed: 4);
        var states = sim.Decisions.ToDictionary(d => ParamSet.FromJson(d.ParamsJson).Get<string>("cfg"));
        states["stable"].State.ShouldBe(PointState.Survivor);
        states["diverging"].State.ShouldBe(PointState.Eliminated);
        states["diverging"].Reason.ShouldContain("of its replicates bad (no finite loss, or failed), counted as the worst");
        var report = AdaptiveReport.For(sim.Study, sim.Trials, sim.Decisions)!;
        report.Best!.Params.Get<string>("cfg").ShouldBe("stable");
        report.Headline.ShouldContain("bad replicate");
        report.Headline.ShouldContain("counted as the worst");
    }

    [Fact]
    public void Bad_values_are_worse_than_every_finite_one_in_both_tests()
    {
        var rows = new[] { new[] { 1.0, 1.1, 0.9 }, new[] { double.NaN, 0.5, double.PositiveInfinity } };
        var t = RaceStatistics.FillBad(rows, Analysis.Goal.Minimize, RaceTest.T);
        t[1].ShouldBe([1.7, 0.5, 1.7], tolerance: 1e-12); // the worst finite (1.1) plus the range (0.6)
        RaceStatistics.FillBad(rows, Analysis.Goal.Maximize, RaceTest.T)[1].ShouldBe([-0.1, 0.5, -0.1], tolerance: 1e-12);
        RaceStatistics.FillBad(rows, Analysis.Goal.Minimize, RaceTest.Friedman)[1].ShouldBe([double.PositiveInfinity, 0.5, double.PositiveInfinity]);
        RaceStatistics.FillBad([[double.NaN], [double.NaN]], Analysis.Goal.Minimize, RaceTest.T).ShouldAllBe(r => r[0] == 0);
    }

    [Fact]
    public void A_point_that_diverged_is_never_precise_and_says_how_many_runs_were_bad()
    {
        var spec = StudyFiles.Parse("""
            name: s
            command: run {mu}
            params: {mu: [1.0, 2.0]}
            objectives: {loss: minimize}
            replications: {min: 3, max: 8, until: ci95_halfwidth(loss) < 0.5}
            """);
        var sim = AdaptiveSimulator.Run(spec, (p, s) => p.Get<double>("mu") == 2.0 && s % 3 == 0 ? double.PositiveInfinity : p.Get<double>("mu"), parallel: 2, orderSeed: 1);
        var byMu = sim.Decisions.ToDictionary(d => ParamSet.FromJson(d.ParamsJson).Get<double>("mu"));
        byMu[1.0].State.ShouldBe(PointState.Precise);
        byMu[2.0].State.ShouldBe(PointState.MaxReached);
        byMu[2.0].Reason.ShouldContain("bad(loss) = ");
        var rule = StoppingRule.Parse("bad(loss) == 0 and mean(loss) < 3");
        rule.IsMet(_ => [1.0, double.PositiveInfinity], 2).ShouldBeFalse();
        rule.IsMet(_ => [1.0, 2.0], 2).ShouldBeTrue();
        StoppingRule.Parse("median(loss) < 5").IsMet(_ => [1.0, 2.0, double.PositiveInfinity], 3).ShouldBeTrue();
        StoppingRule.Parse("mean(loss) < 5").IsMet(_ => [1.0, 2.0, double.PositiveInfinity], 3).ShouldBeFalse();
    }

    [Fact]
    public void A_rule_reading_a_result_no_trial_reports_stops_the_study_instead_of_running_every_point_to_max()
    {
        var spec = StudyFiles.Parse("""
            name: s
            command: run {mu}
            params: {mu: [1.0, 2.0, 3.0]}
            replications: {min: 2, max: 30, until: sd(vv) < 0.1}
            """);
        var sim = AdaptiveSimulator.Run(spec, (p, _) => p.Get<double>("mu"), parallel: 2, orderSeed: 1);
        var step = sim.Advance();
        step.Problem!.ShouldMatch(@"^replications.until reads 'vv', which none of the \d completed trials reports; they report: loss. Nothing was decided: fix the study file and run it again$");
        sim.Decisions.ShouldBeEmpty();
        // Stopped as soon as three trials had completed: not every point run to its 30.
        sim.Trials.Count.ShouldBeLessThanOrEqualTo(8);
    }
}
