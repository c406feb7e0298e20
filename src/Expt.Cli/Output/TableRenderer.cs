using System.Text;
using Expt.Text;
using Spectre.Console;

namespace Expt.Cli.Output;

/// <summary>
/// Prints a table: boxed with Spectre.Console on a terminal, as plain aligned columns when piped, or as CSV or
/// Markdown. JSON is written by each command, since it keeps types that a table flattens.
/// </summary>
internal static class TableRenderer
{
    public static void Write(CliEnvironment env, TableData table, OutputFormat format)
    {
        if (format != OutputFormat.Csv)
        {
            // What a trial wrote (a parameter, a result, an error) is shown, never obeyed: no escape sequence reaches the terminal.
            table = table with { Headers = table.Headers.Select(h => TerminalText.Escape(h)).ToList(), Rows = table.Rows.Select(r => (IReadOnlyList<string>)r.Select(c => TerminalText.Escape(c)).ToList()).ToList() };
        }
        if (format == OutputFormat.Table && env.MarkdownTables)
        {
            format = OutputFormat.Markdown;
        }
        switch (format)
        {
            case OutputFormat.Csv:
                env.Out.Profile.Out.Writer.Write(ToCsv(table));
                break;
            case OutputFormat.Markdown:
                env.Out.Profile.Out.Writer.Write(ToMarkdown(table));
                break;
            case OutputFormat.Table when env.IsTerminal:
                env.Out.Write(Fit(table, env.Out.Profile.Width));
                break;
            default:
                env.Out.Profile.Out.Writer.Write(ToPlain(table));
                break;
        }
        env.Out.Profile.Out.Writer.Flush();
    }

    /// <summary>
    /// The table as it fits a terminal of <paramref name="width"/> columns: no cell is wrapped (a number or a word is
    /// never split across lines); columns that do not fit are left out from the right, and a caption says how many and
    /// how to see them. A single column wider than the terminal is cut with an ellipsis.
    /// </summary>
    internal static Table Fit(TableData table, int width)
    {
        // A rounded table costs one border column, plus a space on each side and a border after every column.
        var widths = table.Headers.Select((h, i) => Math.Max(h.Length, table.Rows.Count == 0 ? 0 : table.Rows.Max(r => r[i].Length))).ToArray();
        var shown = widths.Length;
        while (shown > 1 && 1 + widths.Take(shown).Sum(w => w + 3) > width)
        {
            shown--;
        }
        var spectre = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < shown; i++)
        {
            var column = new TableColumn(new Markup($"[bold]{Markup.Escape(table.Headers[i])}[/]")).NoWrap();
            spectre.AddColumn(table.RightAligned.Contains(i) ? column.RightAligned() : column);
        }
        foreach (var row in table.Rows)
        {
            spectre.AddRow(row.Take(shown).Select(c => (Spectre.Console.Rendering.IRenderable)new Markup(Style(c)) { Overflow = Overflow.Ellipsis }).ToArray());
        }
        if (shown < widths.Length)
        {
            var hidden = table.Headers.Skip(shown).ToList();
            spectre.Caption($"{Expt.Text.Counted.Of(hidden.Count, "more column")} not shown ({Markup.Escape(Expt.Spec.InputLimits.Quote(string.Join(", ", hidden)))}): widen the terminal, or use --format csv or --style plain");
        }
        return spectre;
    }

    private static string Style(string cell) => cell switch
    {
        "completed" => "[green]completed[/]",
        "failed" => "[red]failed[/]",
        "timeout" => "[darkorange]timeout[/]",
        "cancelled" => "[grey]cancelled[/]",
        "running" => "[blue]running[/]",
        _ => Markup.Escape(cell),
    };

    public static string ToPlain(TableData table)
    {
        var widths = table.Headers.Select((h, i) => Math.Max(h.Length, table.Rows.Count == 0 ? 0 : table.Rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            var parts = cells.Select((c, i) => i == cells.Count - 1 && !table.RightAligned.Contains(i) ? c : table.RightAligned.Contains(i) ? c.PadLeft(widths[i]) : c.PadRight(widths[i]));
            sb.Append(string.Join("  ", parts).TrimEnd()).Append('\n');
        }
        Line(table.Headers.Select(h => h.ToUpperInvariant()).ToList());
        foreach (var row in table.Rows)
        {
            Line(row);
        }
        return sb.ToString();
    }

    public static string ToCsv(TableData table)
    {
        var sb = new StringBuilder();
        sb.Append(CsvText.Line(table.Headers)).Append('\n');
        foreach (var row in table.Rows)
        {
            sb.Append(CsvText.Line(row)).Append('\n');
        }
        return sb.ToString();
    }

    public static string ToMarkdown(TableData table)
    {
        static string Cell(string c) => c.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", table.Headers.Select(Cell))).Append(" |\n");
        sb.Append('|').Append(string.Join('|', table.Headers.Select((_, i) => table.RightAligned.Contains(i) ? "---:" : "---"))).Append("|\n");
        foreach (var row in table.Rows)
        {
            sb.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        }
        return sb.ToString();
    }
}
