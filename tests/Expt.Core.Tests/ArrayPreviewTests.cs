using Expt.Analysis;
using Expt.Text;

namespace Expt.Core.Tests;

public sealed class ArrayPreviewTests
{
    [Theory]
    [InlineData("[1, 2, 3]", "[1, 2, 3]")]
    [InlineData("[]", "[]")]
    [InlineData("[0.5, 1.5, 2.5, 3.5]", "[0.5, 1.5, 2.5, 3.5]")]
    [InlineData("[0.1, 0.2, 0.3, 0.4, 0.5]", "[0.1, 0.2, 0.3, …] (5)")]
    [InlineData("[[1, 2, 3], [4, 5, 6]]", "[[1, 2, 3, …], …] (2×3)")]
    [InlineData("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", "[[[1, 2, 3, …], …], …] (2×2×2)")]
    [InlineData("[\"a\", \"b\"]", "[a, b]")]
    [InlineData("[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}, {\"x\": 4}, {\"x\": 5}]", "[{…}, {…}, {…}, …] (5)")]
    [InlineData("[0.123456789, 2, 3, 4, 5", "[0.1235, 2, 3, …] (4+)")]
    public void An_array_shows_its_first_values_and_its_shape(string json, string expected) =>
        ArrayPreview.Describe(json).ShouldBe(expected);

    [Theory]
    [InlineData("not an array")]
    [InlineData("[oops")]
    public void Other_text_is_not_an_array(string text) => ArrayPreview.Describe(text).ShouldBeNull();

    [Fact]
    public void A_million_values_are_described_from_their_start()
    {
        var json = "[" + string.Join(", ", Enumerable.Range(0, 1_000_000)) + "]";
        ArrayPreview.Describe(json).ShouldBe("[0, 1, 2, …] (1000000)");
        ArrayPreview.Describe(json[..4096]).ShouldStartWith("[0, 1, 2, …] (");
        ArrayPreview.Describe(json[..4096])!.ShouldEndWith("+)");
    }

    [Fact]
    public void Results_cut_short_by_a_listing_keep_the_start_of_their_array()
    {
        var json = "{\"loss\": 0.5, \"vec\": [" + string.Join(", ", Enumerable.Range(0, 5000)) + "]}";
        var values = ResultValues.Parse(json[..4096]);
        values.Select(v => v.Key).ShouldBe(["loss", "vec"]);
        ((string)values[1].Value!).ShouldStartWith("[0, 1, 2");
        ResultValues.Parse(json)[1].Value.ShouldBe("[" + string.Join(", ", Enumerable.Range(0, 5000)) + "]");
    }
}
