using Expt.Spec;
using Expt.Trials;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

public sealed class TrialIdentityTests
{
    // Reference values computed independently with Python's hashlib (see docs/concepts.md for the formulas).
    [Fact]
    public void Key_and_seed_match_the_documented_formulas()
    {
        var parameters = new ParamSet([new("lr", 0.1m), new("bs", 16L), new("opt", "adam"), new("model.depth", 2L)]);
        parameters.ToCanonicalJson().ShouldBe("""{"bs":16,"lr":0.1,"model.depth":2,"opt":"adam"}""");
        var key = TrialIdentity.Key(parameters, 0);
        key.ShouldBe("f3c92bc4f8eb1524");
        TrialIdentity.Seed(42, key).ShouldBe(1341086325693742134L);
    }

    [Fact]
    public void Keys_do_not_depend_on_parameter_order_but_on_values_and_replicate()
    {
        var a = new ParamSet([new("x", 1L), new("y", "b")]);
        var b = new ParamSet([new("y", "b"), new("x", 1L)]);
        TrialIdentity.Key(a, 0).ShouldBe(TrialIdentity.Key(b, 0));
        TrialIdentity.Key(a, 0).ShouldNotBe(TrialIdentity.Key(a, 1));
        TrialIdentity.Key(new ParamSet([new("x", 1L)]), 0).ShouldNotBe(TrialIdentity.Key(new ParamSet([new("x", 1.0m)]), 0));
        TrialIdentity.Key(new ParamSet([new("x", "1")]), 0).ShouldNotBe(TrialIdentity.Key(new ParamSet([new("x", 1L)]), 0));
    }

    [Fact]
    public void Plans_order_points_then_replicates_with_distinct_seeds()
    {
        var spec = Parse("name: s\ncommand: x\nseed: 5\nreplications: 3\nparams:\n  a: [1, 2]\n");
        var plan = TrialPlan.Create(spec);
        plan.Select(t => (t.PointIndex, t.Replicate)).ShouldBe([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
        plan.Select(t => t.Seq).ShouldBe([0L, 1, 2, 3, 4, 5]);
        plan.Select(t => t.Seed).Distinct().Count().ShouldBe(6);
        plan.ShouldAllBe(t => t.Seed >= 0);
        TrialPlan.Create(spec).Select(t => t.Seed).ShouldBe(plan.Select(t => t.Seed));
        TrialPlan.Create(spec with { Seed = 6 }).Select(t => t.Seed).ShouldNotBe(plan.Select(t => t.Seed));
    }

    [Fact]
    public void Adding_points_keeps_existing_keys()
    {
        var small = TrialPlan.Create(Parse("name: s\ncommand: x\nparams:\n  a: [1, 2]\n"));
        var large = TrialPlan.Create(Parse("name: s\ncommand: x\nparams:\n  a: [1, 2, 3]\n"));
        small.Select(t => t.Key).Except(large.Select(t => t.Key)).ShouldBeEmpty();
    }

    [Fact]
    public void Ids_are_eight_hex_digits() =>
        Enumerable.Range(0, 100).Select(_ => TrialIdentity.NewId()).ShouldAllBe(id => id.Length == 8 && id.All(char.IsAsciiHexDigitLower));

    [Fact]
    public void SeededRandom_is_xoshiro256starstar_seeded_by_splitmix64()
    {
        // Reference outputs from an independent Python implementation of the published algorithms.
        var random = new SeededRandom(12345);
        random.NextUInt64().ShouldBe(13720838825685603483UL);
        random.NextUInt64().ShouldBe(2398916695208396998UL);
        random.NextUInt64().ShouldBe(17770384849984869256UL);
    }

    [Fact]
    public void SeededRandom_bounds_are_respected()
    {
        var random = new SeededRandom(1);
        for (var i = 0; i < 10_000; i++)
        {
            random.Next(7).ShouldBeInRange(0, 6);
            random.Next(-3, 3).ShouldBeInRange(-3, 2);
            random.NextDouble().ShouldBeInRange(0.0, 0.9999999999);
        }
    }
}
