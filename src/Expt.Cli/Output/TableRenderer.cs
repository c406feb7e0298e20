using System.Text;
using Expt.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

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
    /// The table as it fits a terminal of <paramref name="width"/> columns, never wrapping a cell (a number or a word is
    /// never split across lines): columns with one value in every row are said once above it; then, while it is too
    /// wide, the narrow form replaces it, shrinkable text is cut with an ellipsis (to 12 characters at the least), and
    /// the least important columns are left out, with a caption that says which and how to see them. A single column
    /// wider than the terminal is cut with an ellipsis.
    /// </summary>
    internal static IRenderable Fit(TableData table, int width)
    {
        var lines = new List<IRenderable>();
        if (table.Preamble is { } preamble)
        {
            lines.Add(new Spectre.Console.Text(preamble));
        }
        if (table.Constants.Count > 0 && table.Rows.Count > 1)
        {
            lines.Add(new Spectre.Console.Text("every row: " + string.Join(' ', table.Constants.Order().Select(i => $"{table.Headers[i]}={table.Rows[0][i]}"))));
            var narrow = table.Narrow is { } n ? n.Select([.. Enumerable.Range(0, n.Headers.Count).Where(i => !n.Constants.Contains(i))]) : null;
            table = table.Select([.. Enumerable.Range(0, table.Headers.Count).Where(i => !table.Constants.Contains(i))]) with { Narrow = narrow };
        }
        lines.Add(FitColumns(table, width));
        return lines.Count == 1 ? lines[0] : new Rows(lines);
    }

    // A rounded table costs one border column, plus a space on each side and a border after every column.
    private static int Needed(IEnumerable<int> widths) => 1 + widths.Sum(w => w + 3);

    private static Table FitColumns(TableData table, int width)
    {
        var widths = table.Headers.Select((h, i) => Math.Max(h.Length, table.Rows.Count == 0 ? 0 : table.Rows.Max(r => r[i].Length))).ToArray();
        if (Needed(widths) > width && table.Narrow is { } narrow)
        {
            return FitColumns(narrow, width);
        }
        // Prose wraps at spaces into what the other columns leave.
        foreach (var i in table.Wrappable.Where(_ => Needed(widths) > width))
        {
            widths[i] = Math.Max(table.Headers[i].Length, Math.Max(16, widths[i] - (Needed(widths) - width)));
        }
        // Cut the widest text first, down to what still says something.
        const int Shortest = 12;
        while (Needed(widths) > width && table.Shrinkable.Where(i => widths[i] > Math.Max(Shortest, table.Headers[i].Length)).OrderByDescending(i => widths[i]).FirstOrDefault(-1) is var widest and >= 0)
        {
            widths[widest] = Math.Max(Math.Max(Shortest, table.Headers[widest].Length), widths[widest] - (Needed(widths) - width));
        }
        // Then leave out the columns that matter least (by default the rightmost), keeping the order of the others.
        var priority = table.Priority ?? [.. Enumerable.Range(0, widths.Length).Select(i => -i)];
        var shown = Enumerable.Range(0, widths.Length).ToList();
        while (shown.Count > 1 && Needed(shown.Select(i => widths[i])) > width)
        {
            shown.Remove(shown.OrderBy(i => priority[i]).ThenByDescending(i => i).First());
        }
        var spectre = new Table().Border(TableBorder.Rounded);
        foreach (var i in shown)
        {
            var column = new TableColumn(new Markup($"[bold]{Markup.Escape(table.Headers[i])}[/]"));
            if (!table.Wrappable.Contains(i))
            {
                column.NoWrap();
            }
            if (table.Shrinkable.Contains(i) || table.Wrappable.Contains(i))
            {
                column.Width(widths[i]);
            }
            spectre.AddColumn(table.RightAligned.Contains(i) ? column.RightAligned() : column);
        }
        foreach (var row in table.Rows)
        {
            spectre.AddRow([.. shown.Select(i => table.Wrappable.Contains(i) ? new Markup(Markup.Escape(row[i])) : (IRenderable)new Markup(Style(Cut(row[i], widths[i]))) { Overflow = Overflow.Ellipsis })]);
        }
        if (shown.Count < widths.Length)
        {
            var hidden = Enumerable.Range(0, widths.Length).Where(i => !shown.Contains(i)).Select(i => table.Headers[i]).ToList();
            spectre.Caption($"{Expt.Text.Counted.Of(hidden.Count, "more column")} not shown ({Markup.Escape(Expt.Spec.InputLimits.Quote(string.Join(", ", hidden)))}): widen the terminal, or use --format csv or --style plain");
        }
        return spectre;
    }

    // A cell longer than its column ends in an ellipsis (Spectre would otherwise wrap a no-wrap column's long word).
    private static string Cut(string cell, int width) => cell.Length <= width ? cell : cell[..Math.Max(0, width - 1)] + "…";

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
