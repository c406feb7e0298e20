using System.Text;
using System.Text.Json;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Where a worker keeps the outcomes of finished trials when the store cannot be written (a full disk, a failing
/// database), so none is lost: a small file beside the store, one JSON line per outcome. Its space is taken when the
/// worker starts (written with zeros, not a sparse file), so on a disk that has since filled up the outcomes are written
/// into space the file already owns. The next run (or worker) on this machine records what the spool holds, fenced
/// by the leases they were completed under, before it does anything else, and then empties it.
/// </summary>
public sealed class OutcomeSpool : IDisposable
{
    /// <summary>The space taken up front.</summary>
    public const int Capacity = 1 << 20;

    /// <summary>The largest outcome kept with its step metrics; a larger one is kept without them (and says so).</summary>
    public const int MaxRecordBytes = 256 * 1024;

    private readonly FileStream _file;
    private readonly Lock _gate = new();
    private long _position;

    private OutcomeSpool(string path, FileStream file, long position)
    {
        Path = path;
        _file = file;
        _position = position;
    }

    public string Path { get; }

    /// <summary>How many outcomes were kept by this worker.</summary>
    public int Kept { get; private set; }

    /// <summary>
    /// Opens the spool at <paramref name="path"/>, taking its space up front when <paramref name="reserve"/> (a store
    /// on this machine's disk). Null when it cannot (no space even now): the worker then runs without one.
    /// </summary>
    public static OutcomeSpool? Open(string path, bool reserve)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
            var used = UsedLength(file);
            if (reserve && file.Length < Capacity)
            {
                file.Seek(file.Length, SeekOrigin.Begin);
                file.Write(new byte[Capacity - file.Length]);
                file.Flush(flushToDisk: true);
            }
            return new OutcomeSpool(path, file, used);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where the records end: the first NUL byte (the reserved space after them is zeros).</summary>
    private static long UsedLength(FileStream file)
    {
        file.Seek(0, SeekOrigin.Begin);
        var buffer = new byte[64 * 1024];
        long offset = 0;
        int read;
        while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            var zero = Array.IndexOf(buffer, (byte)0, 0, read);
            if (zero >= 0)
            {
                return offset + zero;
            }
            offset += read;
        }
        return offset;
    }

    /// <summary>Keeps an outcome; false when even without its metrics it does not fit in the space left.</summary>
    public bool TryAdd(TrialCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var record = Serialize(completion, withMetrics: true);
        if (record.Length > MaxRecordBytes)
        {
            record = Serialize(completion with { Outcome = completion.Outcome with { Metrics = [], Files = [] } }, withMetrics: false);
        }
        lock (_gate)
        {
            try
            {
                _file.Seek(_position, SeekOrigin.Begin);
                _file.Write(record);
                _file.Flush(flushToDisk: true);
                _position += record.Length;
                Kept++;
                return true;
            }
            catch (IOException)
            {
                // Beyond the reserved space on a full disk: nothing was kept (the caller says so). A partial line
                // left behind is overwritten by the next record, or skipped when read.
                return false;
            }
        }
    }

    private static byte[] Serialize(TrialCompletion completion, bool withMetrics)
    {
        var (lease, outcome) = (completion.Lease, completion.Outcome);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("trial", lease.TrialId);
            w.WriteString("study_id", lease.StudyId);
            w.WriteString("study", lease.StudyName);
            w.WriteString("key", lease.Key);
            w.WriteNumber("replicate", lease.Replicate);
            w.WriteNumber("seed", lease.Seed);
            w.WriteNumber("attempt", lease.Attempt);
            w.WriteNumber("max_attempts", lease.MaxAttempts);
            w.WriteNumber("token", lease.Token);
            w.WriteString("status", outcome.Status.ToName());
            w.WriteNumber("duration_ms", outcome.Duration.TotalMilliseconds);
            w.WriteString("results", outcome.ResultsJson);
            var error = outcome.Error;
            if (!withMetrics && outcome.Metrics.Count > 0)
            {
                error = (error is null ? string.Empty : error + "\n") + $"warning: {outcome.Metrics.Count:N0} step metrics were not kept: the store could not be written and they did not fit in the spool";
            }
            w.WriteString("error", error);
            if (outcome.ExitCode is { } code)
            {
                w.WriteNumber("exit_code", code);
            }
            w.WriteStartArray("metrics");
            foreach (var point in withMetrics ? outcome.Metrics : [])
            {
                w.WriteStartArray();
                w.WriteStringValue(point.Name);
                w.WriteNumberValue(point.Step);
                if (double.IsFinite(point.Value))
                {
                    w.WriteNumberValue(point.Value);
                }
                else
                {
                    w.WriteStringValue(point.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                w.WriteNumberValue(point.Time.ToUnixTimeMilliseconds());
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>The outcomes a spool holds (a damaged line is skipped: the trial then runs again).</summary>
    public static IReadOnlyList<TrialCompletion> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var completions = new List<TrialCompletion>();
        if (!File.Exists(path))
        {
            return completions;
        }
        var bytes = File.ReadAllBytes(path);
        var end = Array.IndexOf(bytes, (byte)0);
        foreach (var line in Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                var lease = new TrialLease(r.GetProperty("trial").GetString()!, r.GetProperty("study_id").GetString()!, r.GetProperty("study").GetString()!,
                    r.GetProperty("key").GetString()!, r.GetProperty("replicate").GetInt32(), "{}", r.GetProperty("seed").GetInt64(),
                    r.GetProperty("attempt").GetInt32(), r.GetProperty("max_attempts").GetInt32(), r.GetProperty("token").GetInt64(), DateTimeOffset.UnixEpoch);
                var metrics = r.GetProperty("metrics").EnumerateArray().Select(m => new MetricPoint(m[0].GetString()!, m[1].GetInt64(),
                    m[2].ValueKind == JsonValueKind.Number ? m[2].GetDouble() : double.Parse(m[2].GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(m[3].GetInt64()))).ToList();
                var outcome = new TrialOutcome(TrialStatusNames.Parse(r.GetProperty("status").GetString()!), TimeSpan.FromMilliseconds(r.GetProperty("duration_ms").GetDouble()),
                    r.GetProperty("results").GetString(), r.GetProperty("error").GetString(), r.TryGetProperty("exit_code", out var x) ? x.GetInt32() : null)
                { Metrics = metrics };
                completions.Add(new TrialCompletion(lease, outcome));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                // A line cut short (the disk filled in the middle of it): its trial runs again.
            }
        }
        return completions;
    }

    /// <summary>Empties a spool whose outcomes were recorded (its reserved space stays, as zeros).</summary>
    public static void Clear(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return;
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var length = file.Length;
        file.Write(new byte[Math.Min(length, Capacity)]);
        if (length > Capacity)
        {
            file.SetLength(Capacity);
        }
        file.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
