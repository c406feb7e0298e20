using System.Globalization;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>
/// Resolves an unquoted scalar to a typed value with the YAML 1.2 core schema: null, bool, int, float, else
/// string. Quoted scalars are never resolved, so "123" stays a string.
/// </summary>
public static partial class ScalarResolver
{
    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    /// <summary>
    /// Why a plain scalar cannot be taken as the number it looks like, or null: an integer beyond 64 bits would
    /// silently become an inexact float, and a float beyond the double range would become infinity or zero.
    /// </summary>
    public static string? RangeError(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IntPattern().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? null
                : $"the integer {Text.TerminalText.Escape(text.Length > 40 ? text[..40] + "…" : text)} is out of range (at most ±9223372036854775807); quote it to keep it as text";
        }
        if (FloatPattern().IsMatch(text) && ParamValues.ParseNumber(text) is double d && (double.IsInfinity(d) || (d == 0 && HasNonZeroMantissa(text))))
        {
            return $"the number {Text.TerminalText.Escape(text.Length > 40 ? text[..40] + "…" : text)} is out of the float range (about 1e-308 to 1e308); write .inf for infinity, or quote it to keep it as text";
        }
        return null;
    }

    private static bool HasNonZeroMantissa(string text)
    {
        var exponent = text.AsSpan().IndexOfAny('e', 'E');
        var mantissa = exponent < 0 ? text.AsSpan() : text.AsSpan(0, exponent);
        return mantissa.IndexOfAnyInRange('1', '9') >= 0;
    }

    /// <summary>Resolves a plain scalar.</summary>
    public static object? Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
            case ".inf" or ".Inf" or ".INF" or "+.inf": return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF": return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN": return double.NaN;
        }
        if (IntPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }
        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return hex;
        }
        if (FloatPattern().IsMatch(text))
        {
            var number = ParamValues.ParseNumber(text);
            return number is long whole ? ParamValues.NormalizeDecimal(whole) : number;
        }
        return text;
    }
}
