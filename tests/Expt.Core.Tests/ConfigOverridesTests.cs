using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

public sealed class ConfigOverridesTests
{
    private const string Yaml = """
        name: s
        command: run {lr} {model.depth}
        params:
          lr: 0.1
          model:
            depth: 2
        replications: 2
        """;

    [Fact]
    public void A_scalar_replaces_a_value() =>
        Points(Parse(Yaml, "lr=0.5")).ShouldBe(["lr=0.5 model.depth=2"]);

    [Fact]
    public void Commas_turn_a_value_into_a_sweep_axis() =>
        Points(Parse(Yaml, "lr=0.1,0.2")).ShouldBe(["lr=0.1 model.depth=2", "lr=0.2 model.depth=2"]);

    [Fact]
    public void Sweep_expressions_and_brackets_work()
    {
        Points(Parse(Yaml, "model.depth=range(1, 4)")).ShouldBe(["lr=0.1 model.depth=1", "lr=0.1 model.depth=2", "lr=0.1 model.depth=3"]);
        Points(Parse(Yaml, "params.lr=[1, 2]")).ShouldBe(["lr=1 model.depth=2", "lr=2 model.depth=2"]);
    }

    [Fact]
    public void Top_level_keys_are_replaced_and_new_params_added_with_a_plus()
    {
        var spec = Parse(Yaml, "replications=7", "seed=3", "+extra='007'");
        spec.Replications.ShouldBe(7);
        spec.Seed.ShouldBe(3);
        spec.Space.Expand(3).Single()["extra"].ShouldBe("007");
    }

    [Fact]
    public void A_key_the_study_does_not_have_is_an_error_with_a_suggestion()
    {
        Errors(Yaml, "replicatons=3").Single().ToString().ShouldBe(
            "--set: replicatons: the study has no key or parameter 'replicatons' (did you mean 'replications'?); --set changes what the study already has: write --set +replicatons=... to add a parameter");
        // Other tools' names for study keys get Expt's name.
        Errors(Yaml, "max_workers=3").Single().Message.ShouldStartWith("the study has no key or parameter 'max_workers' (did you mean 'parallel'? it is Expt's name for max_workers);");
        Errors(Yaml, "times=5").Single().Message.ShouldContain("(did you mean 'replications'? it is Expt's name for times)");
        Errors(Yaml, "params.max_workers=3").Single().Message.ShouldStartWith("the study has no parameter 'max_workers';");
        Errors(Yaml, "model.dpth=3").Single().Message.ShouldContain("(did you mean 'model.depth'?)");
        Errors(Yaml, "params.lrr=3").Single().Message.ShouldStartWith("the study has no parameter 'lrr' (did you mean 'lr'?)");
    }

    [Fact]
    public void Plus_adds_only_new_parameters_double_plus_adds_or_changes()
    {
        Errors(Yaml, "+lr=3").Single().Message.ShouldBe("the study already has the parameter 'lr' (params); write --set lr=... to change it (or ++lr=... to add or change)");
        Points(Parse(Yaml, "++lr=3")).ShouldBe(["lr=3 model.depth=2"]);
        Points(Parse(Yaml, "++bs=8")).ShouldBe(["lr=0.1 model.depth=2 bs=8"]);
    }

    [Fact]
    public void Tilde_removes_a_parameter_or_resets_a_study_key()
    {
        const string yaml = "name: s\ncommand: run\nparams:\n  lr: [0.1, 0.2]\n  bs: 8\nreplications: 3\n";
        Points(Parse(yaml, "~lr")).ShouldBe(["bs=8"]);
        Parse(yaml, "~replications").Replications.ShouldBe(1);
        Errors(yaml, "~lrr").Single().Message.ShouldBe("the study has no parameter 'lrr' to remove (did you mean 'lr'?)");
        Errors(yaml, "~lr=1").Single().Message.ShouldStartWith("expected ~key");
    }

    [Fact]
    public void A_parameter_named_like_a_study_key_is_reached_with_a_prefix_and_a_bare_use_is_an_error()
    {
        const string yaml = "name: s\ncommand: run {params.seed} {trial_seed}\nparams:\n  seed: [1, 2]\nseed: 5\n";
        Errors(yaml, "seed=3").Single().ToString().ShouldBe(
            "--set: seed: 'seed' is both a study key and a parameter of this study; write --set params.seed=... for the parameter or --set study.seed=... for the study's seed");
        var spec = Parse(yaml, "params.seed=3", "study.seed=9");
        spec.Seed.ShouldBe(9);
        Points(spec).ShouldBe(["seed=3"]);
        Errors(yaml, "~seed").Single().Message.ShouldContain("~params.seed");
        Points(Parse(yaml, "~study.seed")).ShouldBe(["seed=1", "seed=2"]);
    }

    [Fact]
    public void A_placeholder_that_could_mean_a_parameter_or_a_built_in_is_an_error_that_says_how_to_write_it()
    {
        var error = Errors("name: s\ncommand: run {seed}\nparams:\n  seed: [1, 2]\n").Single();
        error.ToString().ShouldBe("study.yaml:2: command: {seed} is ambiguous: 'seed' is a parameter and also a placeholder every trial has; write {params.seed} for the parameter or {trial_seed} for the trial's seed");
        Errors("name: s\ncommand: run {trial_id}\nparams:\n  trial_id: [1, 2]\n").Single().Message.ShouldContain("$EXPT_TRIAL_ID for the trial's trial_id");
        var spec = Parse("name: s\ncommand: run {params.seed} {trial_seed} {trial_replicate} {study_name}\nparams:\n  seed: 4\n");
        spec.Command!.Render(p => CommandTemplate.Resolve(p) switch
        {
            (BuiltIn: { } b, _) => "builtin:" + b,
            (_, Parameter: { } n) => "param:" + n,
            _ => null,
        }).ShouldBe(["run", "param:seed", "builtin:seed", "builtin:replicate", "builtin:study"]);
    }

    [Fact]
    public void Without_a_file_any_key_becomes_a_parameter_as_before()
    {
        var spec = StudyLoader.FromCommand("echo", ["echo", "{x}"], ["x=1,2", "replications=2", "+y=3"], new BindOptions());
        Points(spec).ShouldBe(["x=1 y=3", "x=2 y=3"]);
        spec.Replications.ShouldBe(2);
    }

    [Fact]
    public void Bad_overrides_name_the_source()
    {
        Errors(Yaml, "lr").Single().ToString().ShouldBe("--set: lr: expected key=value, e.g. --set lr=0.1 or --set lr=0.1,0.2 (+key=value adds a parameter, ~key removes one)");
        Errors(Yaml, "replications=0").Single().ToString().ShouldBe("--set: replications: expected an integer of at least 1, got '0'");
    }

    [Fact]
    public void A_command_alone_with_sweeps_is_a_study()
    {
        var spec = StudyLoader.FromCommand("echo", ["echo", "{x}", "hello world"], ["x=1,2"], new BindOptions());
        spec.Command!.Render(n => n == "x" ? "1" : null).ShouldBe(["echo", "1", "hello world"]);
        Points(spec).ShouldBe(["x=1", "x=2"]);
    }
}
