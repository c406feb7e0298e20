using Expt.Spec;

namespace Expt.Core.Tests;

public sealed class SweepExpressionTests
{
    private static IReadOnlyList<object?> Values(string text)
    {
        SweepExpression.TryParse(text, out var values, out var distribution, out var error).ShouldBeTrue(error);
        distribution.ShouldBeNull();
        return values!;
    }

    private static string Error(string text)
    {
        SweepExpression.TryParse(text, out _, out _, out var error).ShouldBeFalse();
        return error!;
    }

    [Fact]
    public void Range_of_integers_is_exclusive_and_keeps_int_type()
    {
        Values("range(16, 64, 16)").ShouldBe([16L, 32L, 48L]);
        Values("range(3)").ShouldAllBe(v => v is long);
        Values("range(3)").ShouldBe([0L, 1L, 2L]);
        Values("range(5, 1, -2)").ShouldBe([5L, 3L]);
    }

    [Fact]
    public void Range_of_decimals_steps_exactly()
    {
        var values = Values("range(0.1, 0.5, 0.1)");
        values.Select(ParamValues.Format).ShouldBe(["0.1", "0.2", "0.3", "0.4"]);
        values.ShouldAllBe(v => v is decimal);
    }

    [Theory]
    [InlineData("range(0, 10, 0)", "step must not be zero")]
    [InlineData("range(10, 0, 1)", "wrong way")]
    [InlineData("range(1, 1)", "empty")]
    [InlineData("range(1, 2, 3, 4)", "1 to 3 arguments")]
    [InlineData("range(a, 3)", "not a number")]
    [InlineData("linspace(0, 1, 0)", "positive integer")]
    [InlineData("loguniform(0, 1)", "positive")]
    [InlineData("uniform(2, 1)", "less than")]
    [InlineData("int(1.5, 3)", "two integers")]
    public void Invalid_expressions_say_what_was_expected(string text, string expected) =>
        Error(text).ShouldContain(expected);

    [Fact]
    public void Linspace_includes_both_ends()
    {
        Values("linspace(0, 1, 5)").Select(ParamValues.Format).ShouldBe(["0.0", "0.25", "0.5", "0.75", "1.0"]);
        Values("linspace(0, 1, 4)").Select(ParamValues.Format).ShouldBe(["0.0", "0.333333333333333", "0.666666666666667", "1.0"]);
        Values("linspace(2, 2, 1)").Select(ParamValues.Format).ShouldBe(["2.0"]);
    }

    [Fact]
    public void Logspace_gives_exact_powers_of_ten()
    {
        Values("logspace(-3, 0, 4)").Select(ParamValues.Format).ShouldBe(["0.001", "0.01", "0.1", "1.0"]);
        Values("logspace(0, 1, 3)").Select(ParamValues.Format).ShouldBe(["1.0", "3.16227766016838", "10.0"]);
    }

    [Fact]
    public void Distributions_are_parsed()
    {
        SweepExpression.TryParse("loguniform(1e-4, 1e-1)", out _, out var d, out _).ShouldBeTrue();
        d.ShouldBeOfType<Distribution.LogUniform>().Low.ShouldBe(1e-4);
        SweepExpression.TryParse("choice(relu, 'tanh', 3)", out _, out d, out _).ShouldBeTrue();
        d.ShouldBeOfType<Distribution.Choice>().Options.ShouldBe(["relu", "tanh", 3L]);
        SweepExpression.TryParse("int(1, 8)", out _, out d, out _).ShouldBeTrue();
        d.ShouldBe(new Distribution.IntUniform(1, 8));
    }

    [Fact]
    public void Plain_strings_are_not_expressions()
    {
        SweepExpression.IsExpression("adam").ShouldBeFalse();
        SweepExpression.IsExpression("ranger(1, 2)").ShouldBeFalse();
        SweepExpression.IsExpression("range(1, 2)").ShouldBeTrue();
    }
}
