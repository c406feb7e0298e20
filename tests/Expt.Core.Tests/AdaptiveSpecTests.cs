using Expt.Adaptive;
using Expt.Analysis;
using Expt.Spec;

namespace Expt.Core.Tests;

/// <summary>replications: {min, max, until} and race: in study files and C#: what they mean, what is refused and how.</summary>
public sealed class AdaptiveSpecTests
{
    private const string Head = "name: s\ncommand: run {x}\nparams: {x: [1, 2]}\nobjectives: {loss: minimize, acc: maximize}\n";

    [Fact]
    public void A_race_reads_its_settings_and_resolves_the_objective()
    {
        var spec = StudyFiles.Parse(Head + "race: {test: friedman, alpha: 0.1, min_replications: 3, max_replications: 12}\n");
        spec.Adaptive!.Race.ShouldBe(new RaceSettings("loss", Goal.Minimize, RaceTest.Friedman, 0.1, 3, 12));
        (spec.Replications, spec.MaxReplications).ShouldBe((3, 12));
        StudyFiles.Parse(Head + "race: {metric: acc}\n").Adaptive!.Race.ShouldBe(new RaceSettings("acc", Goal.Maximize, RaceTest.T, 0.05, 5, 30));
        // The first replicates are planned up front, placed so that the rest fall in between.
        Trials.TrialPlan.Create(spec).Select(t => t.Seq).ShouldBe([0, 1, 2, 12, 13, 14]);
    }

    [Fact]
    public void Sequential_stopping_reads_its_rule_with_objective_resolved()
    {
        var spec = StudyFiles.Parse(Head + "replications:\n  min: 3\n  max: 50\n  until: ci95_halfwidth(objective) < 0.02 * abs(mean(objective)) and sd(acc) < 1\n");
        var s = spec.Adaptive!.Sequential!;
        (s.Min, s.Max).ShouldBe((3, 50));
        s.Until.Metrics.ShouldBe(["loss", "acc"]);
        spec.Replications.ShouldBe(3);
    }

    [Fact]
    public void The_plan_is_stored_with_the_study_and_read_back_by_workers()
    {
        foreach (var yaml in new[] { Head + "race: {test: friedman, min_replications: 3, max_replications: 9}\n", Head + "replications: {min: 2, max: 7, until: 'se(objective) < 0.1'}\n" })
        {
            var spec = StudyFiles.Parse(yaml);
            var study = new Storage.StudyRecord("1", "s", null, [], spec.ToJson(), spec.Fingerprint, 1, DateTimeOffset.UnixEpoch, null);
            var rules = AdaptiveRules.For(study)!;
            rules.Plan.Race.ShouldBe(spec.Adaptive!.Race);
            rules.Plan.Sequential?.Until.Metrics.ShouldBe(spec.Adaptive.Sequential?.Until.Metrics);
            StoredSpec.Read(spec.ToJson()).Replications.ShouldBe(spec.Replications);
        }
        // Damaged or hand-written rows: the study runs its trials as they are.
        foreach (var json in new[] { "{\"adaptive\":{\"mode\":\"race\",\"metric\":\"loss\"}}", "{\"adaptive\":{\"mode\":\"sequential\",\"min\":3,\"max\":2,\"until\":\"n > 1\"}}",
                     "{\"adaptive\":{\"mode\":\"sequential\",\"min\":1,\"max\":2,\"until\":\"((\"}}", "{\"adaptive\":[]}", "not json" })
        {
            AdaptiveRules.For(new Storage.StudyRecord("1", "s", null, [], json, "f", 1, DateTimeOffset.UnixEpoch, null)).ShouldBeNull();
        }
    }

    [Theory]
    [InlineData("race: {metric: loss}\nreplications: 5\n", "study.yaml:6: replications: a race sets its own replicates")]
    [InlineData("race: {metric: los}\n", "race.metric: 'los' has no declared goal")]
    [InlineData("race: {tests: t}\n", "race.tests: unknown key (did you mean 'test'?)")]
    [InlineData("race: {test: wilcoxon}\n", "race.test: expected t (paired t-tests against the best, Holm-corrected) or friedman (F-Race), got 'wilcoxon'")]
    [InlineData("race: {alpha: 0.7}\n", "race.alpha: expected a significance level above 0 and below 0.5")]
    [InlineData("race: {min_replications: 1}\n", "race.min_replications: expected an integer from 2 to 1,000,000, got '1'")]
    [InlineData("race: {min_replications: 8, max_replications: 4}\n", "race.max_replications: 4 is less than min_replications (8)")]
    [InlineData("race: fast\n", "study.yaml:5: race: expected a mapping")]
    [InlineData("replications: {min: 3, until: 'n > 4'}\n", "replications.max: missing")]
    [InlineData("replications: {min: 3, max: 2, until: 'n > 4'}\n", "replications.max: 2 is less than min (3)")]
    [InlineData("replications: {min: 3, max: 9}\n", "replications.until: missing; expected when a point has enough replicates")]
    [InlineData("replications: {min: 3, max: 9, until: 'mean(loss)'}\n", "replications.until: the rule is a number, not a condition")]
    [InlineData("replications: {min: 3, max: 9, until: 'meen(loss) < 1'}\n", "replications.until: at column 1: unknown function 'meen' (did you mean 'mean'?)")]
    [InlineData("replications: {min: 3, max: 9, until: 'mean(loss) < '}\n", "replications.until: at column 14: the rule ends too early")]
    [InlineData("replications: {min: 3, max: 9, until: 'loss < 1'}\n", "'loss' is not something a rule can read")]
    [InlineData("replications: {min: 3, max: 9, until: 'ci_halfwidth(loss, 2) < 1'}\n", "ci_halfwidth takes a confidence level between 0 and 1")]
    [InlineData("replications: {min: 3, max: 9, until: 'n > 3', step: 2}\n", "replications.step: unknown key; expected one of: min, max, until")]
    [InlineData("replications: {min: 3, max: 9, until: 'sd(los) < 0.1'}\n", "replications.until: reads 'los', which is not a declared objective (did you mean 'loss'?); objectives: loss, acc")]
    public void Mistakes_name_the_file_line_key_and_what_was_expected(string tail, string expected)
    {
        var errors = StudyFiles.Errors(Head + tail);
        errors.ShouldContain(e => e.ToString().Contains(expected, StringComparison.Ordinal), string.Join("\n", errors));
    }

    [Fact]
    public void A_race_without_any_objective_says_what_to_declare()
    {
        StudyFiles.Errors("name: s\ncommand: run {x}\nparams: {x: [1, 2]}\nrace: {}\n").Single().ToString()
            .ShouldBe("study.yaml:4: race.metric: missing, and the study declares no objective to race on; expected race.metric: loss with objectives: {loss: minimize}");
    }

    [Fact]
    public void Hostile_rules_are_refused_quickly_and_with_one_line()
    {
        var deep = new string('(', 5000) + "n > 1" + new string(')', 5000);
        Should.Throw<FormatException>(() => StoppingRule.Parse(deep)).Message.ShouldContain("nests deeper than 64 levels");
        Should.Throw<FormatException>(() => StoppingRule.Parse(new string('-', 10_000) + "n > 1")).Message.ShouldContain("nests deeper");
        Should.Throw<FormatException>(() => StoppingRule.Parse("n > " + new string('1', 70_000))).Message.ShouldContain("more than the limit");
        Should.Throw<FormatException>(() => StoppingRule.Parse("n > 1e999")).Message.ShouldContain("'1e999' is not a number");
        Should.Throw<FormatException>(() => StoppingRule.Parse("mean(" + new string('a', 1000) + ") < 1")).Message.ShouldContain("the name is too long");
        Should.Throw<FormatException>(() => StoppingRule.Parse("n > 1 )")).Message.ShouldContain("unexpected ')'");
        Should.Throw<FormatException>(() => StoppingRule.Parse("")).Message.ShouldContain("ends too early");
    }

    [Fact]
    public void Rules_evaluate_statistics_of_the_completed_replicates()
    {
        IReadOnlyList<double> Loss(string _) => [1.0, 2.0, 3.0, 4.0];
        StoppingRule.Parse("n >= 4 and mean(loss) == 2.5").IsMet(Loss, 4).ShouldBeTrue();
        StoppingRule.Parse("sd(loss) < 1.2 && !(max(loss) > 4) || min(loss) < 0").IsMet(Loss, 4).ShouldBeFalse();
        StoppingRule.Parse("abs(-median(loss)) = 2.5 and sqrt(var(loss)) > 1.29 and se(loss) < 0.65").IsMet(Loss, 4).ShouldBeTrue();
        // t(0.975, 3) = 3.182: half-width 3.182 × 0.6455 = 2.054; the 99% one is wider, a 50% one narrower.
        StoppingRule.Parse("ci95_halfwidth(loss) > 2.05 and ci95_halfwidth(loss) < 2.06").IsMet(Loss, 4).ShouldBeTrue();
        StoppingRule.Parse("ci99_halfwidth(loss) > ci95_halfwidth(loss) and ci_halfwidth(loss, 0.5) < se(loss)").IsMet(Loss, 4).ShouldBeTrue();
        // One value: no spread yet, so a rule on it is simply not met (NaN compares false), not an error.
        StoppingRule.Parse("sd(loss) < 100").IsMet(_ => [1.0], 1).ShouldBeFalse();
        StoppingRule.Parse("sd(loss) != 100").IsMet(_ => [1.0], 1).ShouldBeFalse();
        StoppingRule.Parse("not (sd(loss) < 100)").IsMet(_ => [], 0).ShouldBeTrue();
        StoppingRule.Parse("1 + 2 * 3 - 4 / 2 == 5").IsMet(_ => [], 0).ShouldBeTrue();
        StoppingRule.Parse("mean(loss) < 1").Explain(Loss, 4).ShouldBe("n = 4, mean(loss) = 2.5");
    }

    [Fact]
    public void The_csharp_api_declares_the_same_plans()
    {
        var race = Experiment.Define("r").Param("x", 1, 2).Minimize("loss").Race(test: RaceTest.Friedman, minReplications: 3, maxReplications: 10).Run(_ => (object?)null).ToSpec();
        race.Adaptive!.Race.ShouldBe(new RaceSettings("loss", Goal.Minimize, RaceTest.Friedman, 0.05, 3, 10));
        var sequential = Experiment.Define("s").Param("x", 1, 2).Replications(2, 20, "se(loss) < 0.1").Run(_ => (object?)null).ToSpec();
        (sequential.Adaptive!.Sequential!.Min, sequential.Adaptive.Sequential.Max, sequential.Adaptive.Sequential.Until.Text).ShouldBe((2, 20, "se(loss) < 0.1"));
    }
}
