using Expt.Analysis;

namespace Expt.Core.Tests;

public sealed class ExperimentBuilderTests
{
    [Fact]
    public void Objectives_and_trial_names_declared_in_csharp_bind_like_the_study_file_keys()
    {
        var spec = Experiment.Define("api")
            .Param("lr", 0.1, 0.2)
            .Minimize("loss")
            .Maximize("accuracy")
            .Minimize("loss") // declared again: the last declaration counts, in its place
            .TrialName("lr{lr}-r{replicate}")
            .Run(_ => (object?)null)
            .ToSpec();
        spec.Objectives.Items.Select(o => (o.Metric, o.Goal)).ShouldBe([("accuracy", Goal.Maximize), ("loss", Goal.Minimize)]);
        spec.Objectives.Resolve("other").ShouldBe(Goal.Minimize);
        spec.TrialName.ShouldBe("lr{lr}-r{replicate}");
        var file = Expt.Spec.StudySpecBinder.Bind(
            Expt.Spec.YamlConfigReader.Parse("name: api\nexperiment: x\nobjectives: {accuracy: maximize, loss: minimize}\n", "s.yaml"),
            new Expt.Spec.BindOptions());
        Objectives.FromSpecJson(file.ToJson()).Items.ShouldBe(Objectives.FromSpecJson(spec.ToJson()).Items);
    }

    [Fact]
    public void A_bad_trial_name_placeholder_in_csharp_is_reported_like_in_a_file()
    {
        var ex = Should.Throw<Expt.Spec.SpecException>(() => Experiment.Define("api").Param("lr", 0.1).TrialName("{lrr}").Run(_ => (object?)null).ToSpec());
        ex.Errors.ShouldContain(e => e.ToString().Contains("trial_name", StringComparison.Ordinal) && e.ToString().Contains("lrr", StringComparison.Ordinal));
    }

    [Fact]
    public void Resources_and_priority_declared_in_csharp_bind_like_the_study_file_keys()
    {
        var spec = Experiment.Define("api")
            .Param("model", "small", "large")
            .Resources(cpus: 2, memory: "3G", gpus: 0.5)
            .ResourcesWhen("model == \"large\"", gpus: 2, memory: "12G", priority: 5)
            .Priority(1)
            .Run(_ => (object?)null)
            .ToSpec();
        spec.Resources.For(Expt.Spec.ParamSet.FromJson("""{"model":"small"}""")).ShouldBe((new Expt.Resources.TrialNeeds(2, 3L << 30, 500), 1));
        spec.Resources.For(Expt.Spec.ParamSet.FromJson("""{"model":"large"}""")).ShouldBe((new Expt.Resources.TrialNeeds(2, 12L << 30, 2000), 5));
        var ex = Should.Throw<Expt.Spec.SpecException>(() => Experiment.Define("api").Param("model", "a").Resources(gpus: 1.5).Run(_ => (object?)null).ToSpec());
        ex.Errors.ShouldHaveSingleItem().ToString().ShouldContain("resources.gpus: expected whole GPUs (0 to 64) or a fraction of one such as 0.5");
    }
}
