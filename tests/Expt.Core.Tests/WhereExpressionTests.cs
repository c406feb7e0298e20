using Expt.Expressions;

namespace Expt.Core.Tests;

public sealed class WhereExpressionTests
{
    private static bool Eval(string text, params (string Name, object? Value)[] values)
    {
        var map = values.ToDictionary(v => v.Name, v => v.Value);
        return WhereExpression.Parse(text).Evaluate((string name, out object? value) => map.TryGetValue(name, out value));
    }

    [Theory]
    [InlineData("lr > 0.01 and optimizer == \"adam\"", true)]
    [InlineData("lr > 0.01 and optimizer == 'sgd'", false)]
    [InlineData("lr > 0.5 or bs >= 32", true)]
    [InlineData("not (bs in [16, 32])", false)]
    [InlineData("bs not in [16, 64]", true)]
    [InlineData("model.depth = 4 && !(lr < 0)", true)]
    [InlineData("missing == null", true)]
    [InlineData("missing > 1", false)]
    [InlineData("bs == 32.0", true)]
    [InlineData("optimizer < 'b'", true)]
    [InlineData("lr >= -1e-3", true)]
    public void Evaluates(string text, bool expected) =>
        Eval(text, ("lr", 0.1m), ("optimizer", "adam"), ("bs", 32L), ("model.depth", 4L)).ShouldBe(expected);

    [Fact]
    public void Names_are_collected() =>
        WhereExpression.Parse("a > 1 and (b == 'x' or c.d in [1])").Names.ShouldBe(["a", "b", "c.d"]);

    [Theory]
    [InlineData("a >", "ends too early")]
    [InlineData("a > 1 b", "unexpected 'b' at column 7")]
    [InlineData("a == 'open", "unterminated string")]
    [InlineData("a ~ 1", "unexpected character '~'")]
    [InlineData("(a > 1", "expected ')'")]
    public void Errors_say_where(string text, string expected) =>
        Should.Throw<FormatException>(() => WhereExpression.Parse(text)).Message.ShouldContain(expected);

    [Theory]
    [InlineData("y _> 0", "unexpected '_' at column 3")]
    [InlineData("x_ > 0 and _", "")]
    [InlineData("_", "")]
    public void A_name_of_underscores_ends_instead_of_looping_forever(string text, string expected)
    {
        // Found by the mutated-study property: "y _> 0" made the tokenizer add empty names until memory ran out.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            WhereExpression.Parse(text);
            expected.ShouldBeEmpty();
        }
        catch (FormatException ex)
        {
            ex.Message.ShouldContain(expected);
        }
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Names_may_hold_underscores_anywhere() =>
        WhereExpression.Parse("_a > 1 and b_ == 2 and c_d.e_ in [1]").Names.ShouldBe(["_a", "b_", "c_d.e_"]);
}
