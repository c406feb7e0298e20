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
        TableRenderer.ToPlain(Table).ShouldBe(ExptCli.Lines(
            "STUDY  TRIALS  NOTE",
            "a          10  plain",
            "b,c         2  has \"quotes\" | pipe"));

    [Fact]
    public void Csv_quotes_what_needs_quoting() =>
        TableRenderer.ToCsv(Table).ShouldBe(ExptCli.Lines(
            "study,trials,note",
            "a,10,plain",
            "\"b,c\",2,\"has \"\"quotes\"\" | pipe\""));

    [Fact]
    public void Markdown_escapes_pipes_and_right_aligns_numbers() =>
        TableRenderer.ToMarkdown(Table).ShouldBe(ExptCli.Lines(
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
        TableRenderer.ToPlain(table).ShouldBe(ExptCli.Lines(
            "LR             DONE       LOSS",
            "0.1  2/3 (1 failed)  2 ± 1.414",
            "0.2             1/1        0.5",
            "0.3             0/1          -"));
    }

    private static string Rich(TableData table, int width)
    {
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(output),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Profile.Capabilities.Unicode = true;
        var env = new CliEnvironment { Out = console, Error = TextWriter.Null, IsTerminal = true };
        TableRenderer.Write(env, table, OutputFormat.Table);
        return output.ToString();
    }

    [Fact]
    public void On_an_80_column_terminal_no_number_or_word_is_split_and_hidden_columns_are_counted()
    {
        IReadOnlyList<TrialRecord> trials = [
            Trial("""{"problem":"rastrigin","cooling":0.99,"dim":5}""", 0, TrialStatus.Completed, """{"best":8.80412345,"accept_rate":0.171423456,"final_temperature":6.05012345,"distance_to_optimum":2.26412345}"""),
            Trial("""{"problem":"rastrigin","cooling":0.99,"dim":5}""", 1, TrialStatus.Completed, """{"best":13.3212345,"accept_rate":0.027962345,"final_temperature":0.05154123,"distance_to_optimum":2.69912345}"""),
            Trial("""{"problem":"ackley","cooling":0.9,"dim":5}""", 0, TrialStatus.Completed, """{"best":3.21812345,"accept_rate":0.396712345,"final_temperature":0.05154123,"distance_to_optimum":1.03912345}"""),
        ];
        var table = PointTable.Build(trials);
        // dim is 5 in every row: said once above the table (expt run prints PointTable.Constants), not as a column.
        PointTable.Constants(trials).ShouldBe("dim=5");
        Rich(table, 80).ShouldBe(ExptCli.Lines(
            "╭───────────┬─────────┬──────┬───────────────┬──────────────────╮",
            "│ problem   │ cooling │ done │          best │      accept_rate │",
            "├───────────┼─────────┼──────┼───────────────┼──────────────────┤",
            "│ rastrigin │ 0.99    │  2/2 │ 11.06 ± 3.194 │ 0.09969 ± 0.1014 │",
            "│ ackley    │ 0.9     │  1/1 │         3.218 │           0.3967 │",
            "╰───────────┴─────────┴──────┴───────────────┴──────────────────╯",
            "          2 more columns not shown (final_temperature,           ",
            "distance_to_optimum): widen the terminal, or use --format csv or ",
            "                          --style plain                          "));

        // A declared objective leads the results, so it is never the column left out.
        var led = PointTable.Build(trials, ["distance_to_optimum"]);
        led.Headers.ShouldBe(["problem", "cooling", "done", "distance_to_optimum", "best", "accept_rate", "final_temperature"]);
        Rich(led, 80).ShouldContain("distance_to_optimum │");
    }
}
