using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Expt.Text;

/// <summary>
/// A short view of an array result for lines and tables: its first values and its shape, as
/// <c>[0.1, 0.2, 0.3, …] (1000)</c> or <c>[[1, 2, …], …] (10×100)</c>, so a solution vector never floods a screen.
/// Works on the start of a value too (a listing's preview), then the length reads <c>(1000+)</c>.
/// </summary>
public static class ArrayPreview
{
    /// <summary>Values shown before the ellipsis.</summary>
    public const int FirstValues = 3;

    /// <summary>The preview, or null when the text is not the start of a JSON array.</summary>
    public static string? Describe(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith('['))
        {
            return null;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        var counts = new List<int>();      // items of the first array met at each depth
        var measuring = new List<bool>();  // whether that first array is still open
        var first = new List<string>();    // the first leaf values
        var complete = false;
        var leaves = 0;
        try
        {
            while (!complete && reader.Read())
            {
                var depth = reader.CurrentDepth;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartArray:
                        Count(counts, measuring, depth);
                        if (counts.Count == depth)
                        {
                            counts.Add(0);
                            measuring.Add(true);
                        }
                        break;
                    case JsonTokenType.EndArray:
                        measuring[depth] = false; // a ragged array shows the first row's length
                        complete = depth == 0;
                        break;
                    case JsonTokenType.StartObject:
                        Count(counts, measuring, depth);
                        if (!reader.TrySkip())
                        {
                            return Format(counts, first, leaves, complete: false);
                        }
                        if (leaves++ <= FirstValues)
                        {
                            first.Add("{…}");
                        }
                        break;
                    default:
                        Count(counts, measuring, depth);
                        if (leaves++ <= FirstValues)
                        {
                            first.Add(Leaf(ref reader));
                        }
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return counts.Count == 0 ? null : Format(counts, first, leaves, complete);
    }

    // A value at depth d is an item of the array at depth d-1.
    private static void Count(List<int> counts, List<bool> measuring, int depth)
    {
        if (depth > 0 && depth - 1 < counts.Count && measuring[depth - 1])
        {
            counts[depth - 1]++;
        }
    }

    private static string Leaf(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => double.TryParse(Encoding.UTF8.GetString(reader.ValueSpan), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d.ToString("G4", CultureInfo.InvariantCulture)
            : Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.String => reader.GetString() is { } s ? (s.Length > 12 ? s[..11] + "…" : s) : string.Empty,
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => "null",
    };

    private static string Format(List<int> counts, List<string> first, int leaves, bool complete)
    {
        var dims = counts.Count;
        var shape = string.Join('×', counts.Select(c => c.ToString(CultureInfo.InvariantCulture))) + (complete ? string.Empty : "+");
        var small = complete && dims == 1 && leaves <= FirstValues + 1;
        if (small)
        {
            // Short arrays are shown whole: [1, 2, 3].
            return "[" + string.Join(", ", first.Concat(leaves > first.Count ? ["…"] : [])) + "]";
        }
        var values = string.Join(", ", first.Take(FirstValues)) + (leaves > FirstValues || !complete ? ", …" : string.Empty);
        var open = new string('[', dims);
        var close = dims == 1 ? "]" : "]" + string.Concat(Enumerable.Repeat(", …]", dims - 1));
        return $"{open}{values}{close} ({shape})";
    }
}
