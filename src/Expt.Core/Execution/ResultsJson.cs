using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Expt.Spec;

namespace Expt.Execution;

/// <summary>Turns what a trial produced (a record, an anonymous object, a dictionary, a scalar) into a results JSON object.</summary>
public static class ResultsJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = null,
        IncludeFields = true,
    };

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>
    /// Python's <c>json.dump</c> writes non-finite floats as the bare words <c>NaN</c>, <c>Infinity</c> and
    /// <c>-Infinity</c>, which are not JSON. Outside strings they become the strings <c>"NaN"</c>, <c>"Infinity"</c>
    /// and <c>"-Infinity"</c> (how Expt stores and outputs non-finite numbers, always valid JSON); anything else is
    /// returned unchanged.
    /// </summary>
    public static string AcceptNonFinite(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal))
        {
            return json;
        }
        var sb = new StringBuilder(json.Length + 16);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < json.Length)
                {
                    sb.Append(json[++i]);
                }
                else if (c == '"')
                {
                    inString = false;
                }
                continue;
            }
            if (c == '"')
            {
                inString = true;
                sb.Append(c);
                continue;
            }
            var word = Word(json, i);
            if (word is "NaN" or "Infinity" or "-Infinity")
            {
                sb.Append('"').Append(word).Append('"');
                i += word.Length - 1;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    // The bare word starting at i when it is a whole token (not part of a longer name).
    private static string? Word(string json, int i)
    {
        foreach (var word in new[] { "NaN", "Infinity", "-Infinity" })
        {
            if (string.CompareOrdinal(json, i, word, 0, word.Length) == 0
                && (i + word.Length == json.Length || !char.IsAsciiLetterOrDigit(json[i + word.Length]))
                && (i == 0 || !char.IsAsciiLetterOrDigit(json[i - 1])))
            {
                return word;
            }
        }
        return null;
    }

    /// <summary>
    /// Checks a results document a trial wrote: a JSON object, at most 64 levels deep, with no key twice at any level
    /// (one rule for results and metrics: such a record is refused, naming the key, because which value was meant
    /// cannot be known). Returns null when it is valid, else what is wrong.
    /// </summary>
    public static string? Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json, Strict);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? null : $"expected a JSON object, got {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}";
        }
        catch (JsonException ex)
        {
            return MetricsFile.Describe(ex);
        }
    }

    /// <summary>
    /// Merges named results with a returned value: a dictionary or object contributes its members, a scalar becomes
    /// <c>value</c>. Returns null when there is nothing.
    /// </summary>
    public static string? Build(IReadOnlyDictionary<string, object?> named, object? returned)
    {
        ArgumentNullException.ThrowIfNull(named);
        var members = new List<KeyValuePair<string, object?>>(named);
        switch (returned)
        {
            case null:
                break;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                {
                    members.Add(new(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture)!, entry.Value));
                }
                break;
            case string or bool or IConvertible:
                members.Add(new("value", returned));
                break;
            default:
                var element = JsonSerializer.SerializeToElement(returned, returned.GetType(), Options);
                if (element.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in element.EnumerateObject())
                    {
                        members.Add(new(property.Name, property.Value.Clone()));
                    }
                }
                else
                {
                    members.Add(new("value", element));
                }
                break;
        }
        if (members.Count == 0)
        {
            return null;
        }
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in members.GroupBy(m => m.Key).Select(g => g.Last()))
            {
                writer.WritePropertyName(name);
                Write(writer, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>How a non-finite number is written in stored and output JSON: "NaN", "Infinity" or "-Infinity".</summary>
    public static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case double d when !double.IsFinite(d):
                writer.WriteStringValue(NonFinite(d));
                break;
            case float f when !float.IsFinite(f):
                writer.WriteStringValue(NonFinite(f));
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case null or bool or string or long or int or decimal:
                ParamValues.WriteJson(writer, ParamValues.Normalize(value));
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), Options);
                break;
        }
    }
}
