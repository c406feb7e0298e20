using System.Text.Json;
using Expt.Provenance;

namespace Expt.Dashboard;

/// <summary>Small helpers for the API's JSON.</summary>
internal static class Json
{
    /// <summary>Finite numbers as they are; NaN and infinities (which JSON cannot carry) as null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>Finite numbers as they are; NaN and infinities as null.</summary>
    public static double?[] Finite(IEnumerable<double> values) => values.Select(Finite).ToArray();

    /// <summary>Stored JSON as a value to embed in a response; null for none or invalid.</summary>
    public static JsonElement? Raw(string? json) => Storage.StoredValues.Json(json);

    /// <summary>
    /// Provenance JSON with anything secret masked once more: values under secret-looking names, passwords in URLs
    /// and connection strings. What the store holds was redacted when written; this guards against older stores and
    /// hand-written rows, because the page must never show a secret.
    /// </summary>
    public static object? Redacted(string? json)
    {
        if (Raw(json) is not { } root)
        {
            return null;
        }
        return Redact(root, null);
    }

    // The last value of a repeated name wins, as in browsers: stored JSON may repeat a name.
    private static Dictionary<string, object?> Object(JsonElement element)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = Redact(property.Value, property.Name);
        }
        return result;
    }

    private static object? Redact(JsonElement element, string? name) => element.ValueKind switch
    {
        JsonValueKind.Object => Object(element),
        // A list of strings may be a command line: "--token X" masks X.
        JsonValueKind.Array when element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            Redactor.RedactArguments(element.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList()),
        JsonValueKind.Array => element.EnumerateArray().Select(e => Redact(e, name)).ToList(),
        JsonValueKind.String when name is not null && Redactor.IsSecretName(name) => Redactor.Mask,
        JsonValueKind.String => Redactor.RedactText(element.GetString() ?? string.Empty),
        _ when name is not null && Redactor.IsSecretName(name) => Redactor.Mask,
        _ => element.Clone(),
    };
}
