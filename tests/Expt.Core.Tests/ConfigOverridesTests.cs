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
    public void Top_level_keys_are_replaced_and_new_params_added()
    {
        var spec = Parse(Yaml, "replications=7", "seed=3", "extra='007'");
        spec.Replications.ShouldBe(7);
        spec.Seed.ShouldBe(3);
        spec.Space.Expand(3).Single()["extra"].ShouldBe("007");
    }

    [Fact]
    public void Bad_overrides_name_the_source()
    {
        Errors(Yaml, "lr").Single().ToString().ShouldBe("--set: lr: expected key=value, e.g. --set lr=0.1 or --set lr=0.1,0.2");
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
