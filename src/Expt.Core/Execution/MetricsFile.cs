using System.Globalization;
using System.Text.Json;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// Reads the step-metrics file of a command trial (<c>EXPT_METRICS</c>): JSON lines, either
/// <c>{"name": "loss", "value": 0.3, "step": 10}</c> or wide <c>{"step": 10, "loss": 0.3, "acc": 0.9}</c>;
/// <c>step</c> (an integer) and <c>time</c> (Unix seconds) are optional. Bad lines and fields are reported, never
/// silently dropped.
/// </summary>
public static class MetricsFile
{
    /// <summary>Parses the file; returns the points and one message per problem (naming line and field).</summary>
    public static (IReadOnlyList<MetricPoint> Points, IReadOnlyList<string> Problems) Parse(string path, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        var points = new List<MetricPoint>();
        var problems = new List<string>();
        if (!File.Exists(path))
        {
            return (points, problems);
        }
        var nextStep = new Dictionary<string, long>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                problems.Add($"{Path.GetFileName(path)} line {lineNumber}: not valid JSON ({ex.Message.Split('.')[0]})");
                continue;
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{Path.GetFileName(path)} line {lineNumber}: expected a JSON object");
                    continue;
                }
                long? step = null;
                if (root.TryGetProperty("step", out var stepElement))
                {
                    if (stepElement.ValueKind == JsonValueKind.Number && stepElement.TryGetInt64(out var s))
                    {
                        step = s;
                    }
                    else
                    {
                        problems.Add($"{Path.GetFileName(path)} line {lineNumber}: field 'step': expected an integer, got {stepElement.GetRawText()}");
                        continue;
                    }
                }
                var time = now;
                if (root.TryGetProperty("time", out var timeElement) && timeElement.ValueKind == JsonValueKind.Number)
                {
                    time = DateTimeOffset.FromUnixTimeMilliseconds((long)(timeElement.GetDouble() * 1000));
                }
                var named = root.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String;
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Name is "step" or "time" || (named && property.Name == "name"))
                    {
                        continue;
                    }
                    var metricName = named ? (property.Name == "value" ? nameElement.GetString()! : null) : property.Name;
                    if (metricName is null)
                    {
                        problems.Add($"{Path.GetFileName(path)} line {lineNumber}: unknown field '{property.Name}' next to 'name'; expected only name, value, step, time");
                        continue;
                    }
                    if (!TryNumber(property.Value, out var value))
                    {
                        problems.Add($"{Path.GetFileName(path)} line {lineNumber}: field '{property.Name}': expected a number, got {property.Value.GetRawText()}");
                        continue;
                    }
                    var s = step ?? nextStep.GetValueOrDefault(metricName);
                    nextStep[metricName] = s + 1;
                    points.Add(new MetricPoint(metricName, s, value, time));
                }
            }
        }
        return (points, problems);
    }

    private static bool TryNumber(JsonElement element, out double value)
    {
        value = double.NaN;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out value),
            JsonValueKind.String => element.GetString() is "NaN" or "nan" or "Infinity" or "-Infinity" or "inf" or "-inf"
                && double.TryParse(element.GetString()!.Replace("inf", "Infinity", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }
}
