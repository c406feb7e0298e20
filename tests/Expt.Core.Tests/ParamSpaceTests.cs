using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

public sealed class ParamSpaceTests
{
    [Fact]
    public void Grid_is_the_cartesian_product_with_the_last_axis_fastest()
    {
        var spec = Parse("""
            name: s
            command: run {a} {b}
            params:
              a: [1, 2]
              fixed: x
              b: [p, q, r]
            """);
        Points(spec).ShouldBe([
            "a=1 fixed=x b=p", "a=1 fixed=x b=q", "a=1 fixed=x b=r",
            "a=2 fixed=x b=p", "a=2 fixed=x b=q", "a=2 fixed=x b=r",
        ]);
    }

    [Fact]
    public void Dotted_and_nested_keys_are_the_same_parameter()
    {
        var flat = Parse("name: s\ncommand: run {model.depth}\nparams:\n  model.depth: [2, 4]\n");
        var nested = Parse("name: s\ncommand: run {model.depth}\nparams:\n  model:\n    depth: [2, 4]\n");
        Points(flat).ShouldBe(["model.depth=2", "model.depth=4"]);
        Points(nested).ShouldBe(Points(flat));
    }

    [Fact]
    public void Linked_parameters_vary_together()
    {
        var spec = Parse("""
            name: s
            command: run
            params:
              opt: [sgd, adam]
            linked:
              - lr: [0.1, 0.01, 0.001]
                warmup: [0, 10, 100]
            """);
        Points(spec).ShouldBe([
            "opt=sgd lr=0.1 warmup=0", "opt=sgd lr=0.01 warmup=10", "opt=sgd lr=0.001 warmup=100",
            "opt=adam lr=0.1 warmup=0", "opt=adam lr=0.01 warmup=10", "opt=adam lr=0.001 warmup=100",
        ]);
    }

    [Fact]
    public void Explicit_points_lie_over_fixed_params()
    {
        var spec = Parse("""
            name: s
            command: run
            params:
              epochs: 10
            points:
              - {lr: 0.1, bs: 16}
              - {lr: 0.01, bs: 32, epochs: 20}
            """);
        Points(spec).ShouldBe(["epochs=10 lr=0.1 bs=16", "epochs=20 lr=0.01 bs=32"]);
    }

    [Fact]
    public void Exclude_and_where_drop_points()
    {
        var spec = Parse("""
            name: s
            command: run
            params:
              opt: [sgd, adam]
              lr: [0.1, 0.01]
              bs: [16, 32]
            exclude:
              - {opt: sgd, lr: 0.1}
            where: "bs == 16 or opt == 'adam'"
            """);
        Points(spec).ShouldBe([
            "opt=sgd lr=0.01 bs=16",
            "opt=adam lr=0.1 bs=16", "opt=adam lr=0.1 bs=32", "opt=adam lr=0.01 bs=16", "opt=adam lr=0.01 bs=32",
        ]);
    }

    [Fact]
    public void Random_search_is_deterministic_per_seed_and_in_range()
    {
        const string yaml = """
            name: s
            command: run
            seed: 7
            samples: 20
            params:
              lr: loguniform(1e-4, 1e-1)
              layers: int(1, 4)
              act: choice(relu, tanh)
              dropout: uniform(0, 0.5)
            """;
        var first = Parse(yaml).Space.Expand(7);
        var again = Parse(yaml).Space.Expand(7);
        var other = Parse(yaml).Space.Expand(8);
        first.Count.ShouldBe(20);
        first.Select(p => p.ToCanonicalJson()).ShouldBe(again.Select(p => p.ToCanonicalJson()));
        first.Select(p => p.ToCanonicalJson()).ShouldNotBe(other.Select(p => p.ToCanonicalJson()));
        foreach (var point in first)
        {
            point.Get<double>("lr").ShouldBeInRange(1e-4, 1e-1);
            point["layers"].ShouldBeOfType<long>().ShouldBeInRange(1L, 4L);
            new[] { "relu", "tanh" }.ShouldContain(point.Get<string>("act"));
            point.Get<double>("dropout").ShouldBeInRange(0, 0.5);
        }
        first.Select(p => p["layers"]).Distinct().Count().ShouldBeGreaterThan(1);
    }

    [Fact]
    public void Random_draws_multiply_grid_points()
    {
        var spec = Parse("name: s\ncommand: run\nsamples: 3\nparams:\n  opt: [a, b]\n  x: uniform(0, 1)\n");
        var points = spec.Space.Expand(spec.Seed);
        points.Count.ShouldBe(6);
        points.Take(3).ShouldAllBe(p => (string)p["opt"]! == "a");
    }

    [Fact]
    public void Values_keep_their_yaml_types()
    {
        var spec = Parse("""
            name: s
            command: run
            params:
              quoted: "123"
              number: 123
              float: 1.0
              flag: true
              nothing: null
            """);
        var point = spec.Space.Expand(0).Single();
        point["quoted"].ShouldBe("123");
        point["number"].ShouldBe(123L);
        point["float"].ShouldBeOfType<decimal>();
        ParamValues.Format(point["float"]).ShouldBe("1.0");
        point["flag"].ShouldBe(true);
        point["nothing"].ShouldBeNull();
    }

    [Fact]
    public void Identical_points_are_kept_once()
    {
        var spec = Parse("name: s\ncommand: run\nparams:\n  x: [1, 2, 1]\n");
        Points(spec).ShouldBe(["x=1", "x=2"]);
    }
}
