using Expt.Execution;

namespace Expt.Core.Tests;

public sealed class ResultsJsonTests
{
    private sealed record Score(double Loss, int Epochs);

    [Fact]
    public void Records_anonymous_objects_and_dictionaries_become_objects()
    {
        var none = new Dictionary<string, object?>();
        ResultsJson.Build(none, new Score(0.5, 3)).ShouldBe("""{"Loss":0.5,"Epochs":3}""");
        ResultsJson.Build(none, new { best = 1.25, name = "x" }).ShouldBe("""{"best":1.25,"name":"x"}""");
        ResultsJson.Build(none, new Dictionary<string, object> { ["a"] = 1, ["b"] = new[] { 1.5, 2.5 } }).ShouldBe("""{"a":1,"b":[1.5,2.5]}""");
    }

    [Fact]
    public void Scalars_become_value_and_named_results_merge_under_returned_ones()
    {
        var named = new Dictionary<string, object?> { ["a"] = 1, ["b"] = "x" };
        ResultsJson.Build(named, 42).ShouldBe("""{"a":1,"b":"x","value":42}""");
        ResultsJson.Build(named, new { b = "y" }).ShouldBe("""{"a":1,"b":"y"}""");
        ResultsJson.Build(new Dictionary<string, object?>(), null).ShouldBeNull();
    }

    [Fact]
    public void Non_finite_numbers_are_kept_as_strings() =>
        ResultsJson.Build(new Dictionary<string, object?> { ["x"] = double.NaN, ["y"] = double.PositiveInfinity }, null).ShouldBe("""{"x":"NaN","y":"Infinity"}""");
}
