using Expt.Expressions;
using Expt.Spec;
using Expt.Trials;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

/// <summary>List- and mapping-valued parameters: bound, keyed, formatted, read back and tested by where.</summary>
public sealed class ListParameterTests
{
    private sealed record Optim(string Name, double Lr);

    [Fact]
    public void A_list_of_lists_is_an_axis_of_list_values_and_a_list_of_mappings_an_axis_of_objects()
    {
        var spec = Parse("""
            name: nets
            command: run
            params:
              hidden_layers: [[64, 32], [128, 64, 32]]
              optim: [{name: adam, lr: 0.001}, {name: sgd, lr: 0.1, momentum: 0.9}]
              kernel: [[3, 3]]
            """);
        Points(spec).ShouldBe([
            "hidden_layers=[64,32] optim.name=adam optim.lr=0.001 optim.momentum=null kernel=[3,3]",
            "hidden_layers=[64,32] optim.name=sgd optim.lr=0.1 optim.momentum=0.9 kernel=[3,3]",
            "hidden_layers=[128,64,32] optim.name=adam optim.lr=0.001 optim.momentum=null kernel=[3,3]",
            "hidden_layers=[128,64,32] optim.name=sgd optim.lr=0.1 optim.momentum=0.9 kernel=[3,3]",
        ]);
        var point = spec.Space.Expand(0)[0];
        point.ToNestedJson().ShouldBe("""{"hidden_layers":[64,32],"optim":{"name":"adam","lr":0.001,"momentum":null},"kernel":[3,3]}""");
        point.Placeholder("hidden_layers").ShouldBe("[64,32]");
        point.Placeholder("optim").ShouldBe("""{"name":"adam","lr":0.001,"momentum":null}""");
        point.Get<int[]>("hidden_layers").ShouldBe([64, 32]);
        point.Get<List<long>>("kernel").ShouldBe([3L, 3L]);
        point.Get<Optim>("optim").ShouldBe(new Optim("adam", 0.001));
        point.Get<string>("hidden_layers").ShouldBe("[64,32]");
        Should.Throw<InvalidCastException>(() => point.Get<Optim>("hidden_layers")).Message.ShouldContain("parameter 'hidden_layers' is [64,32]");
    }

    [Fact]
    public void Keys_are_stable_whatever_the_spacing_and_read_back_from_the_store_the_same()
    {
        var a = Parse("name: s\ncommand: run\nparams:\n  l: [[1, 2.50, {b: x, a: [true, null]}]]\n").Space.Expand(0).Single();
        var b = Parse("name: s\ncommand: run\nparams:\n  l:\n    - - 1\n      - 2.5\n      - a: [true, null]\n        b: x\n").Space.Expand(0).Single();
        a.ToCanonicalJson().ShouldBe("""{"l":[1,2.5,{"a":[true,null],"b":"x"}]}""");
        b.ToCanonicalJson().ShouldBe(a.ToCanonicalJson());
        TrialIdentity.Key(a, 0).ShouldBe(TrialIdentity.Key(b, 0));
        var stored = ParamSet.FromJson(a.ToFlatJson());
        stored.ToCanonicalJson().ShouldBe(a.ToCanonicalJson());
        ParamValues.AreEqual(stored["l"], a["l"]).ShouldBeTrue();
        // A scalar's key is what it always was.
        TrialIdentity.Key(Parse("name: s\ncommand: run\nparams:\n  x: [1]\n").Space.Expand(0).Single(), 0).ShouldBe(TrialIdentity.Key("""{"x":1}""", 0));
    }

    [Theory]
    [InlineData("len(hidden_layers) == 2", new[] { 0 })]
    [InlineData("hidden_layers[0] == 64", new[] { 0 })]
    [InlineData("hidden_layers[-1] == 32", new[] { 0, 1 })]
    [InlineData("hidden_layers[5] == 1", new int[0])]
    [InlineData("64 in hidden_layers", new[] { 0, 1 })]
    [InlineData("hidden_layers == [128, 64, 32]", new[] { 1 })]
    [InlineData("hidden_layers != [64, 32] and len(hidden_layers) > 2", new[] { 1 })]
    public void Where_measures_and_indexes_list_values(string expression, int[] kept)
    {
        var all = new[] { "hidden_layers=[64,32]", "hidden_layers=[128,64,32]" };
        if (kept.Length == 0)
        {
            Errors($"name: w\ncommand: run\nparams:\n  hidden_layers: [[64, 32], [128, 64, 32]]\nwhere: \"{expression}\"\n").Single().Message.ShouldContain("remove every point");
            return;
        }
        var spec = Parse($"name: w\ncommand: run\nparams:\n  hidden_layers: [[64, 32], [128, 64, 32]]\nwhere: \"{expression}\"\n");
        Points(spec).ShouldBe(kept.Select(i => all[i]).ToList());
        _ = WhereExpression.Parse(expression).Names.ShouldHaveSingleItem();
    }

    [Fact]
    public void Exclude_and_explicit_points_take_list_values()
    {
        Points(Parse("name: e\ncommand: run\nparams:\n  l: [[1], [2]]\nexclude: [{l: [[1]]}]\n")).ShouldBe(["l=[2]"]);
        Points(Parse("name: p\ncommand: run\npoints:\n  - {l: [1, 2], m: {depth: 3}}\n")).ShouldBe(["l=[1,2] m.depth=3"]);
    }

    [Fact]
    public void A_mixed_list_is_refused_with_its_place()
    {
        var error = Errors("name: m\ncommand: run\nparams:\n  optim: [{name: adam}, sgd]\n").Single();
        error.ToString().ShouldContain("study.yaml:4");
        error.Message.ShouldContain("expected a mapping like the other items");
        Errors("name: m\ncommand: run\nparams:\n  optim: [{name: adam}]\n  optim.name: x\n").ShouldNotBeEmpty();
    }

    [Fact]
    public void The_csharp_api_takes_arrays_as_list_values()
    {
        var spec = Experiment.Define("api").Param("layers", new[] { 64, 32 }, new[] { 128 }).Param("kernel", new[] { 3, 3 }).Run(_ => (object?)null).ToSpec();
        Points(spec).ShouldBe(["layers=[64,32] kernel=[3,3]", "layers=[128] kernel=[3,3]"]);
    }
}
