using System.Text.Json;
using Expt.Spec;

namespace Expt.Analysis;

/// <summary>Reads a trial's results JSON: scalars keep their types (int, float, string, bool; "nan" and "inf" strings are floats); arrays and objects stay JSON text.</summary>
public static class ResultValues
{
    /// <summary>The results as name/value pairs.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Parse(string? resultsJson)
    {
        if (string.IsNullOrEmpty(resultsJson))
        {
            return [];
        }
        // A forward-only reader rather than a document: summaries parse every trial of a study.
        var values = new List<KeyValuePair<string, object?>>();
        try
        {
            Read(System.Text.Encoding.UTF8.GetBytes(resultsJson), values);
        }
        catch (JsonException)
        {
            // Stored results are checked when written; a damaged or hand-written row gives what could be read.
        }
        // One value per name (the last, as JSON readers do): stored data from before duplicates were refused.
        if (values.Select(v => v.Key).Distinct(StringComparer.Ordinal).Count() != values.Count)
        {
            var last = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in values)
            {
                last[key] = value;
            }
            values = last.ToList();
        }
        return values;
    }

    private static void Read(byte[] json, List<KeyValuePair<string, object?>> values)
    {
        // Not the final block: a listing's preview may end mid-value, and what it has is still shown.
        var reader = new Utf8JsonReader(json, isFinalBlock: false, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            object? value = reader.TokenType switch
            {
                JsonTokenType.Number => ParamValues.ParseNumber(System.Text.Encoding.UTF8.GetString(reader.ValueSpan)),
                JsonTokenType.String => reader.GetString() switch
                {
                    "nan" or "NaN" => double.NaN,
                    "inf" or "Infinity" => double.PositiveInfinity,
                    "-inf" or "-Infinity" => double.NegativeInfinity,
                    var text => text,
                },
                JsonTokenType.True => true,
                JsonTokenType.False => false,
                JsonTokenType.StartObject or JsonTokenType.StartArray => null,
                _ => null,
            };
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                var start = (int)reader.TokenStartIndex;
                if (!reader.TrySkip())
                {
                    // Cut off (a preview): keep its start, which a preview of the value can still describe.
                    values.Add(KeyValuePair.Create(name, (object?)System.Text.Encoding.UTF8.GetString(json, start, json.Length - start)));
                    return;
                }
                value = System.Text.Encoding.UTF8.GetString(json, start, (int)reader.BytesConsumed - start);
            }
            values.Add(KeyValuePair.Create(name, value));
        }
    }

    /// <summary>A numeric result, or null when absent or not a number (NaN counts as a number).</summary>
    public static double? Number(string? resultsJson, string name)
    {
        foreach (var (key, value) in Parse(resultsJson))
        {
            if (key == name)
            {
                return ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null;
            }
        }
        return null;
    }

    /// <summary>
    /// A numeric result of a trial, or null (parsed once per trial). What the trial used is there too, under
    /// <see cref="Resources.TrialUsage.MetricNames"/> (<c>usage.peak_memory_mb</c>, ...), unless a result has that name.
    /// </summary>
    public static double? Number(Storage.TrialRecord trial, string name)
    {
        ArgumentNullException.ThrowIfNull(trial);
        foreach (var (key, value) in trial.ParsedResults)
        {
            if (key == name)
            {
                return ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null;
            }
        }
        return name.StartsWith(Resources.TrialUsage.MetricPrefix, StringComparison.Ordinal) ? Resources.TrialUsage.FromJson(trial.UsageJson)?.Metric(name) : null;
    }

    /// <summary>A numeric array result (e.g. a solution vector), or null.</summary>
    public static double[]? Array(string? resultsJson, string name)
    {
        if (string.IsNullOrEmpty(resultsJson))
        {
            return null;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(resultsJson);
        }
        catch (JsonException)
        {
            return null;
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var values = new List<double>();
        foreach (var item in element.EnumerateArray())
        {
            values.Add(item.ValueKind == JsonValueKind.Number ? item.GetDouble() : double.NaN);
        }
        return [.. values];
    }
}
