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
