using System.Globalization;

namespace Expt.Cli.Output;

/// <summary>
/// CSV fields as RFC 4180 quotes them, made inert for spreadsheets: a text cell that Excel, LibreOffice or Google
/// Sheets would read as a formula (it starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return)
/// gets a leading apostrophe, as OWASP advises, so a trial's result <c>=HYPERLINK(...)</c> is shown, not run. Numbers
/// (<c>-1.5</c>, <c>+3</c>, <c>-Infinity</c>, and <c>-inf</c> as pandas writes and reads it) are left as they are.
/// </summary>
internal static class CsvText
{
    /// <summary>One field.</summary>
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r'
            && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && value.ToLowerInvariant() is not ("-inf" or "+inf" or "-nan" or "+nan"))
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>One line of fields, without its newline.</summary>
    public static string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(Field));
}
