using System.Globalization;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>Parses sizes such as <c>16M</c>, <c>512KiB</c>, <c>1.5G</c> or a bare number of bytes (units are powers of 1024).</summary>
public static partial class ByteSizeParser
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses a size; false when the text is not one or exceeds 1 TiB.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var match = text is { Length: <= 40 } ? Pattern().Match(text) : Match.Empty;
        if (!match.Success)
        {
            return false;
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * (match.Groups[2].Value.ToUpperInvariant() switch
        {
            "K" => 1L << 10,
            "M" => 1L << 20,
            "G" => 1L << 30,
            "T" => 1L << 40,
            _ => 1,
        });
        if (!(value >= 0 && value <= 1L << 40))
        {
            return false;
        }
        bytes = (long)value;
        return true;
    }
}
