using Expt.Spec;

namespace Expt.Core.Tests;

public sealed class ParamValuesTests
{
    [Theory]
    [InlineData("123", 123L)]
    [InlineData("-7", -7L)]
    [InlineData("true", true)]
    [InlineData("False", false)]
    [InlineData("adam", "adam")]
    [InlineData("1.5.2", "1.5.2")]
    public void Plain_scalars_resolve_to_typed_values(string text, object expected) =>
        ScalarResolver.Resolve(text).ShouldBe(expected);

    [Fact]
    public void Floats_resolve_to_exact_decimals_with_a_fraction()
    {
        ScalarResolver.Resolve("0.10").ShouldBe(0.1m);
        ParamValues.Format(ScalarResolver.Resolve("1e-3")).ShouldBe("0.001");
        ParamValues.Format(ScalarResolver.Resolve("2.0")).ShouldBe("2.0");
        ParamValues.Format(ScalarResolver.Resolve("1e3")).ShouldBe("1000.0");
        ScalarResolver.Resolve("null").ShouldBeNull();
        ScalarResolver.Resolve("~").ShouldBeNull();
    }

    [Fact]
    public void Doubles_normalise_to_their_shortest_decimal()
    {
        ParamValues.Format(ParamValues.Normalize(0.1 + 0.2)).ShouldBe("0.3");
        ParamValues.Normalize(1e300).ShouldBe(1e300);
        ParamValues.Format(ParamValues.Normalize(3)).ShouldBe("3");
    }

    [Fact]
    public void Ints_and_floats_are_different_values()
    {
        ParamValues.AreEqual(1L, 1.0m).ShouldBeFalse();
        ParamValues.AreEqual(0.1m, 0.1).ShouldBeTrue();
        ParamValues.AreEqual(null, null).ShouldBeTrue();
        ParamValues.Compare(2L, 10L).ShouldBeLessThan(0);
        ParamValues.Compare("b", "a").ShouldBeGreaterThan(0);
    }

    [Fact]
    public void ParamSet_round_trips_through_json_keeping_types()
    {
        var set = new ParamSet([new("lr", 0.1m), new("bs", 16L), new("name", "123"), new("flag", true), new("none", null), new("model.depth", 2L)]);
        set.ToCanonicalJson().ShouldBe("""{"bs":16,"flag":true,"lr":0.1,"model.depth":2,"name":"123","none":null}""");
        set.ToNestedJson().ShouldBe("""{"lr":0.1,"bs":16,"name":"123","flag":true,"none":null,"model":{"depth":2}}""");
        var back = ParamSet.FromJson(set.ToNestedJson());
        back["name"].ShouldBe("123");
        back["bs"].ShouldBe(16L);
        back["lr"].ShouldBe(0.1m);
        back["model.depth"].ShouldBe(2L);
        ParamSet.FromJson("""{"x":1.0}""")["x"].ShouldBe(1.0m);
        ParamValues.Format(ParamSet.FromJson("""{"x":1.0}""")["x"]).ShouldBe("1.0");
    }

    [Fact]
    public void Get_converts_and_explains_bad_conversions()
    {
        var set = new ParamSet([new("lr", 0.5m), new("n", 3L), new("opt", "adam")]);
        set.Get<double>("lr").ShouldBe(0.5);
        set.Get<int>("n").ShouldBe(3);
        set.Get<string>("n").ShouldBe("3");
        Should.Throw<InvalidCastException>(() => set.Get<int>("lr")).Message.ShouldContain("parameter 'lr' is float 0.5");
        Should.Throw<KeyNotFoundException>(() => set.Get<int>("missing"));
    }
}
