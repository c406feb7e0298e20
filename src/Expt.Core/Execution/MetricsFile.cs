using System.Globalization;
using System.Text;
using System.Text.Json;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// Reads the step-metrics file of a command trial (<c>EXPT_METRICS</c>): JSON lines, either
/// <c>{"name": "loss", "value": 0.3, "step": 10}</c> or wide <c>{"step": 10, "loss": 0.3, "acc": 0.9}</c>;
/// <c>step</c> (an integer) and <c>time</c> (Unix seconds) are optional. Bad lines and fields are reported, never
/// silently dropped. The file is streamed with bounded lines: a line longer than
/// <see cref="InputLimits.MaxMetricLineBytes"/> is skipped unread, and at most <see cref="MaxPoints"/> points are kept.
/// </summary>
public static class MetricsFile
{
    /// <summary>The most points read from one trial's metrics file.</summary>
    public const int MaxPoints = 5_000_000;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <summary>Parses the file; returns the points and one message per problem (naming line and field).</summary>
    public static (IReadOnlyList<MetricPoint> Points, IReadOnlyList<string> Problems) Parse(string path, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        var points = new List<MetricPoint>();
        var problems = new List<string>();
        var file = Path.GetFileName(path);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            problems.Add($"{file}: is a symbolic link; write the file itself");
            return (points, problems);
        }
        if (!info.Exists)
        {
            return (points, problems);
        }
        // A FIFO or a device is never opened (it could block, or never end).
        if (IO.FileKinds.Of(path) is var kind and not IO.FileKind.Regular)
        {
            problems.Add($"{file}: is {TrialFiles.Describe(kind)}, not a file; nothing was read from it");
            return (points, problems);
        }
        if (info.Length == 0)
        {
            return (points, problems);
        }
        var nextStep = new Dictionary<string, long>(StringComparer.Ordinal);
        var lineNumber = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        foreach (var line in Lines(stream))
        {
            lineNumber++;
            if (line.TooLong)
            {
                problems.Add($"{file} line {lineNumber}: longer than {InputLimits.MaxMetricLineBytes / 1024 / 1024} MiB, skipped");
                continue;
            }
            if (points.Count >= MaxPoints)
            {
                problems.Add($"{file}: more than {MaxPoints:N0} points; the rest were not read");
                break;
            }
            ParseLine(line.AsSpan(), lineNumber, file, now, points, problems, nextStep);
        }
        return (points, problems);
    }

    private static void ParseLine(ReadOnlySpan<byte> line, int lineNumber, string file, DateTimeOffset now, List<MetricPoint> points, List<string> problems, Dictionary<string, long> nextStep)
    {
        if (line.Trim(" \t\r"u8).IsEmpty)
        {
            return;
        }
        JsonDocument doc;
        try
        {
            // Python writes NaN and Infinity bare: read them as the strings they are stored as.
            var bytes = line.IndexOf("NaN"u8) >= 0 || line.IndexOf("Infinity"u8) >= 0
                ? Encoding.UTF8.GetBytes(ResultsJson.AcceptNonFinite(Encoding.UTF8.GetString(line)))
                : line.ToArray();
            doc = JsonDocument.Parse(bytes, Strict);
        }
        catch (JsonException ex)
        {
            problems.Add($"{file} line {lineNumber}: {Describe(ex)}");
            return;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{file} line {lineNumber}: expected a JSON object");
                return;
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
                    problems.Add($"{file} line {lineNumber}: field 'step': expected an integer, got {Quote(stepElement)}");
                    return;
                }
            }
            var time = now;
            if (root.TryGetProperty("time", out var timeElement) && timeElement.ValueKind == JsonValueKind.Number)
            {
                var seconds = timeElement.GetDouble();
                // Beyond year 9999 is no time: keep "now" rather than throw.
                if (seconds is > -62135596800 and < 253402300799)
                {
                    time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                }
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
                    problems.Add($"{file} line {lineNumber}: unknown field '{InputLimits.Quote(property.Name)}' next to 'name'; expected only name, value, step, time");
                    continue;
                }
                if (metricName.Length is 0 or > InputLimits.MaxMetricNameChars)
                {
                    problems.Add($"{file} line {lineNumber}: metric name '{InputLimits.Quote(metricName)}' must have 1 to {InputLimits.MaxMetricNameChars} characters");
                    continue;
                }
                if (metricName.Any(char.IsControl))
                {
                    problems.Add($"{file} line {lineNumber}: metric name '{InputLimits.Quote(metricName)}' holds a control character; expected a name such as loss or val/acc");
                    continue;
                }
                if (!TryNumber(property.Value, out var value))
                {
                    problems.Add($"{file} line {lineNumber}: field '{InputLimits.Quote(property.Name)}': expected a number, got {Quote(property.Value)}");
                    continue;
                }
                var s = step ?? nextStep.GetValueOrDefault(metricName);
                nextStep[metricName] = s + 1;
                points.Add(new MetricPoint(metricName, s, value, time));
            }
        }
    }

    /// <summary>A JSON error in words, without .NET's byte positions.</summary>
    internal static string Describe(JsonException ex)
    {
        if (ex.Message.StartsWith("Duplicate property '", StringComparison.Ordinal))
        {
            var name = ex.Message["Duplicate property '".Length..];
            name = name[..Math.Max(0, name.IndexOf('\'', StringComparison.Ordinal))];
            return $"the key '{InputLimits.Quote(name)}' appears twice; each value needs its own name";
        }
        if (ex.Message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return "nested too deeply";
        }
        return $"not valid JSON ({InputLimits.Quote(ex.Message.Split('.')[0])})";
    }

    // A value quoted back in a warning: never all of a 50 MB string.
    private static string Quote(JsonElement element) => InputLimits.Quote(element.GetRawText());

    /// <summary>One line of the file: its bytes, or <see cref="TooLong"/> when it was skipped unread.</summary>
    private readonly record struct Line(byte[] Buffer, int Length, bool TooLong)
    {
        public ReadOnlySpan<byte> AsSpan() => Buffer.AsSpan(0, Length);
    }

    /// <summary>The lines of a stream; a line longer than the limit is skipped to its end without being kept.</summary>
    private static IEnumerable<Line> Lines(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        var tooLong = false;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }
                if (!tooLong)
                {
                    line.Write(buffer, start, i - start);
                }
                tooLong |= line.Length > InputLimits.MaxMetricLineBytes;
                yield return new Line(line.GetBuffer(), tooLong ? 0 : (int)line.Length, tooLong);
                line.SetLength(0);
                tooLong = false;
                start = i + 1;
            }
            if (!tooLong)
            {
                line.Write(buffer, start, read - start);
                if (line.Length > InputLimits.MaxMetricLineBytes)
                {
                    tooLong = true;
                    line.SetLength(0);
                }
            }
        }
        if (tooLong || line.Length > 0)
        {
            yield return new Line(line.GetBuffer(), tooLong ? 0 : (int)line.Length, tooLong);
        }
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
