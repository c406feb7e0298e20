using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Expt.Spec;

/// <summary>
/// Parameter values are plain CLR values of a closed set of types: <c>null</c>, <see cref="bool"/>,
/// <see cref="long"/>, <see cref="decimal"/> (floats, kept exact), <see cref="double"/> (floats outside the
/// decimal range) and <see cref="string"/>, and the composites <see cref="ParamList"/> (a list-valued parameter) and
/// <see cref="ParamMap"/> (a mapping inside one). This class normalises, formats, compares and serialises them.
/// </summary>
public static class ParamValues
{
    /// <summary>Brings a value into the closed set of parameter types, or throws for anything else.</summary>
    public static object? Normalize(object? value) => value switch
    {
        null => null,
        bool or string => value,
        long l => l,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        ulong ul when ul <= long.MaxValue => (long)ul,
        decimal m => NormalizeDecimal(m),
        double d => NormalizeDouble(d),
        float f => NormalizeDouble(double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
        Enum e => e.ToString(),
        ParamList or ParamMap => value,
        IEnumerable<KeyValuePair<string, object?>> map => new ParamMap(map),
        System.Collections.IDictionary dictionary => new ParamMap(dictionary.Keys.Cast<object>().Select(k => KeyValuePair.Create(Convert.ToString(k, CultureInfo.InvariantCulture) ?? string.Empty, dictionary[k]))),
        System.Collections.IEnumerable items => new ParamList(items.Cast<object?>()),
        _ => throw new ArgumentException($"unsupported parameter value type {value.GetType().Name}", nameof(value)),
    };

    /// <summary>
    /// A decimal without trailing zeros but always with a fractional part, so 0.10 and 0.1 are the same value
    /// and a float never prints as an integer (1.0 stays 1.0).
    /// </summary>
    public static decimal NormalizeDecimal(decimal value)
    {
        var stripped = value / 1.000000000000000000000000000000000m;
        return stripped.Scale == 0 ? stripped + 0.0m : stripped;
    }

    /// <summary>Doubles become exact decimals where they can (15 significant digits, the double's own precision).</summary>
    public static object NormalizeDouble(double value)
    {
        if (double.IsFinite(value) && (value == 0 || (Math.Abs(value) >= 1e-20 && Math.Abs(value) <= 1e20)))
        {
            return NormalizeDecimal((decimal)value);
        }
        return value;
    }

    /// <summary>Formats a value the way it is substituted into commands and shown in tables.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        double d => double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf" : d.ToString("R", CultureInfo.InvariantCulture),
        string s => s,
        ParamList or ParamMap => value.ToString()!,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>The type name users see in error messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "null",
        bool => "bool",
        long => "int",
        decimal or double => "float",
        string => "string",
        ParamList => "list",
        ParamMap => "mapping",
        _ => value.GetType().Name,
    };

    /// <summary>True for int and float values.</summary>
    public static bool IsNumber(object? value) => value is long or decimal or double;

    /// <summary>Converts a numeric value to double.</summary>
    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        decimal m => (double)m,
        double d => d,
        bool b => b ? 1 : 0,
        _ => double.NaN,
    };

    /// <summary>Equality that treats 1 (int) and 1.0 (float) as different, but 0.1 (decimal) and 0.1 (double) alike.</summary>
    public static bool AreEqual(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a is decimal or double && b is decimal or double)
        {
            return Compare(a, b) == 0;
        }
        return a.Equals(b);
    }

    /// <summary>Orders numbers numerically, strings ordinally; null first; otherwise by type name.</summary>
    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return (a is null ? 0 : 1) - (b is null ? 0 : 1);
        }
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is long la && b is long lb)
            {
                return la.CompareTo(lb);
            }
            if (a is not double && b is not double)
            {
                return ToDecimal(a).CompareTo(ToDecimal(b));
            }
            return ToDouble(a).CompareTo(ToDouble(b));
        }
        if (a is string sa && b is string sb)
        {
            return string.CompareOrdinal(sa, sb);
        }
        if (a is bool ba && b is bool bb)
        {
            return ba.CompareTo(bb);
        }
        if (a is ParamList la2 && b is ParamList lb2)
        {
            // Item by item, then the shorter first: [64] < [64, 32] < [128].
            for (var i = 0; i < Math.Min(la2.Count, lb2.Count); i++)
            {
                var c = Compare(la2[i], lb2[i]);
                if (c != 0)
                {
                    return c;
                }
            }
            return la2.Count.CompareTo(lb2.Count);
        }
        if (a is ParamMap && b is ParamMap)
        {
            return string.CompareOrdinal(a.ToString(), b.ToString());
        }
        return string.CompareOrdinal(TypeName(a), TypeName(b));
    }

    private static decimal ToDecimal(object value) => value switch
    {
        long l => l,
        decimal m => m,
        _ => 0m,
    };

    /// <summary>Writes a value as JSON, keeping its type (floats always carry a fractional part or exponent).</summary>
    public static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case decimal m: writer.WriteRawValue(m.ToString(CultureInfo.InvariantCulture)); break;
            case double d when double.IsFinite(d):
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                writer.WriteRawValue(text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0");
                break;
            case double d: writer.WriteStringValue(Format(d)); break;
            case string s: writer.WriteStringValue(s); break;
            case ParamList list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteJson(writer, item);
                }
                writer.WriteEndArray();
                break;
            case ParamMap map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    WriteJson(writer, item);
                }
                writer.WriteEndObject();
                break;
            default: throw new ArgumentException($"unsupported parameter value type {value.GetType().Name}", nameof(value));
        }
    }

    /// <summary>Reads JSON back into a parameter value (integers become int, other numbers float, arrays lists, objects mappings).</summary>
    public static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => ParseNumber(element.GetRawText()),
        JsonValueKind.Array => new ParamList(element.EnumerateArray().Select(FromJson).ToList()),
        JsonValueKind.Object => new ParamMap(element.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, FromJson(p.Value))).ToList()),
        _ => element.GetRawText(),
    };

    /// <summary>A value as canonical JSON (see <see cref="AppendCanonical"/>).</summary>
    public static string Canonical(object? value)
    {
        var sb = new StringBuilder();
        AppendCanonical(sb, value);
        return sb.ToString();
    }

    /// <summary>
    /// Appends a value as canonical JSON: what trial keys hash, so it must never change for the same value (minimal
    /// string escapes, invariant numbers, floats with a point, mapping keys sorted).
    /// </summary>
    public static void AppendCanonical(StringBuilder sb, object? value)
    {
        ArgumentNullException.ThrowIfNull(sb);
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string str: AppendString(sb, str); break;
            case double d when !double.IsFinite(d): AppendString(sb, Format(d)); break;
            case double d:
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                sb.Append(text);
                if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains('E', StringComparison.Ordinal))
                {
                    sb.Append(".0");
                }
                break;
            case ParamList list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    AppendCanonical(sb, list[i]);
                }
                sb.Append(']');
                break;
            case ParamMap map:
                sb.Append('{');
                var first = true;
                foreach (var (key, item) in map)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    AppendString(sb, key);
                    sb.Append(':');
                    AppendCanonical(sb, item);
                }
                sb.Append('}');
                break;
            default: sb.Append(Format(value)); break;
        }
    }

    /// <summary>Appends a JSON string with only the escapes JSON requires.</summary>
    public static void AppendString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }


    /// <summary>Parses a number literal: integers to int, anything with a point or exponent to float.</summary>
    public static object ParseNumber(string text)
    {
        var isInteger = !text.AsSpan().ContainsAny(".eE");
        if (isInteger && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && !(m == 0 && HasNonZeroDigit(text)))
        {
            return NormalizeDecimal(m);
        }
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static bool HasNonZeroDigit(string text)
    {
        foreach (var c in text)
        {
            if (c is 'e' or 'E')
            {
                return false;
            }
            if (c is >= '1' and <= '9')
            {
                return true;
            }
        }
        return false;
    }
}
