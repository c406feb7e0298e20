using Expt.Execution;

namespace Expt.Core.Tests;

public sealed class MetricsFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.jsonl");
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public void Dispose() => File.Delete(_path);

    private (IReadOnlyList<Storage.MetricPoint> Points, IReadOnlyList<string> Problems) Parse(string text)
    {
        File.WriteAllText(_path, text);
        return MetricsFile.Parse(_path, Now);
    }

    [Fact]
    public void Narrow_and_wide_lines_are_read()
    {
        var (points, problems) = Parse("""
            {"name": "loss", "value": 0.5, "step": 10}
            {"step": 11, "loss": 0.25, "acc": 0.9, "time": 1767225601.5}

            {"loss": 0.125}
            """);
        problems.ShouldBeEmpty();
        points.Select(p => (p.Name, p.Step, p.Value)).ShouldBe([("loss", 10L, 0.5), ("loss", 11L, 0.25), ("acc", 11L, 0.9), ("loss", 12L, 0.125)]);
        points[0].Time.ShouldBe(Now);
        points[1].Time.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1767225601500));
    }

    [Fact]
    public void Steps_count_per_metric_when_absent()
    {
        var (points, _) = Parse("{\"a\": 1}\n{\"a\": 2, \"b\": 3}\n");
        points.Select(p => (p.Name, p.Step)).ShouldBe([("a", 0L), ("a", 1L), ("b", 0L)]);
    }

    [Fact]
    public void Bad_lines_and_fields_are_reported_with_line_and_field()
    {
        var name = Path.GetFileName(_path);
        var (points, problems) = Parse("""
            {"loss": "high"}
            not json
            {"step": 1.5, "loss": 1}
            [1, 2]
            {"name": "x", "value": 1, "extra": 2}
            {"loss": "NaN"}
            """);
        problems.ShouldBe([
            $"{name} line 1: field 'loss': expected a number, got \"high\"",
            $"{name} line 2: not valid JSON ('not json' is an invalid JSON literal)",
            $"{name} line 3: field 'step': expected an integer, got 1.5",
            $"{name} line 4: expected a JSON object",
            $"{name} line 5: unknown field 'extra' next to 'name'; expected only name, value, step, time",
        ]);
        points.Select(p => p.Name).ShouldBe(["x", "loss"]);
        double.IsNaN(points[1].Value).ShouldBeTrue();
    }

    [Fact]
    public void A_missing_file_is_no_metrics() =>
        MetricsFile.Parse(_path + ".missing", Now).Points.ShouldBeEmpty();
}
