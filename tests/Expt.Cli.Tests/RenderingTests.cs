using Expt.Cli.Output;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Tests;

/// <summary>The exact text users see, for each output format.</summary>
public sealed class RenderingTests
{
    private static readonly TableData Table = new(["study", "trials", "note"], [["a", "10", "plain"], ["b,c", "2", "has \"quotes\" | pipe"]]) { RightAligned = new HashSet<int> { 1 } };

    [Fact]
    public void Plain_tables_align_columns_for_pipes() =>
        TableRenderer.ToPlain(Table).ShouldBe(Cli.Lines(
            "STUDY  TRIALS  NOTE",
            "a          10  plain",
            "b,c         2  has \"quotes\" | pipe"));

    [Fact]
    public void Csv_quotes_what_needs_quoting() =>
        TableRenderer.ToCsv(Table).ShouldBe(Cli.Lines(
            "study,trials,note",
            "a,10,plain",
            "\"b,c\",2,\"has \"\"quotes\"\" | pipe\""));

    [Fact]
    public void Markdown_escapes_pipes_and_right_aligns_numbers() =>
        TableRenderer.ToMarkdown(Table).ShouldBe(Cli.Lines(
            "| study | trials | note |",
            "|---|---:|---|",
            "| a | 10 | plain |",
            "| b,c | 2 | has \"quotes\" \\| pipe |"));

    private static TrialRecord Trial(string paramsJson, int replicate, TrialStatus status, string? results) => new()
    {
        Id = "0000000" + replicate,
        StudyId = "1",
        StudyName = "s",
        Key = "k" + replicate,
        ParamsJson = paramsJson,
        Replicate = replicate,
        Status = status,
        ResultsJson = results,
    };

    [Fact]
    public void The_final_table_averages_replications_per_point()
    {
        var table = PointTable.Build([
            Trial("""{"lr":0.1}""", 0, TrialStatus.Completed, """{"loss":1.0,"tag":"x"}"""),
            Trial("""{"lr":0.1}""", 1, TrialStatus.Completed, """{"loss":3.0}"""),
            Trial("""{"lr":0.1}""", 2, TrialStatus.Failed, null),
            Trial("""{"lr":0.2}""", 0, TrialStatus.Completed, """{"loss":0.5}"""),
            Trial("""{"lr":0.3}""", 0, TrialStatus.Pending, null),
        ]);
        TableRenderer.ToPlain(table).ShouldBe(Cli.Lines(
            "LR             DONE       LOSS",
            "0.1  2/3 (1 failed)  2 ± 1.414",
            "0.2             1/1        0.5",
            "0.3             0/1          -"));
    }
}
