using System.Text;
using System.Text.Json;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Isolation;

/// <summary>
/// The line protocol between a study process and its isolated worker processes: one JSON request per line on the
/// worker's stdin (the trial), one JSON response per line on its stdout (the outcome). The worker's own prints go
/// to its stderr, so they can never corrupt the protocol.
/// </summary>
public static class TrialHostProtocol
{
    /// <summary>The hidden command of the hosting program that runs trials for an isolated study.</summary>
    public const string CommandName = "__trial-host";

    /// <summary>The first line a worker process writes, once it can take trials.</summary>
    public const string Ready = "{\"ready\":true}";

    public static string Request(TrialContext context)
    {
        var l = context.Lease;
        return Json(w =>
        {
            w.WriteString("trial_id", l.TrialId);
            w.WriteString("study_id", l.StudyId);
            w.WriteString("study", l.StudyName);
            w.WriteString("key", l.Key);
            w.WriteNumber("replicate", l.Replicate);
            w.WriteString("params", l.ParamsJson);
            w.WriteNumber("seed", l.Seed);
            w.WriteNumber("attempt", l.Attempt);
            w.WriteNumber("max_attempts", l.MaxAttempts);
            w.WriteString("trial_dir", context.TrialDirectory);
            w.WriteNumber("slot", context.Slot);
            // What the trial needs, and what this worker gave it (its GPU devices), so it runs with them elsewhere too.
            var needs = l.Needs;
            w.WriteStartObject("needs");
            w.WriteNumber("cpus", needs.Cpus);
            w.WriteNumber("memory", needs.MemoryBytes);
            w.WriteNumber("gpu_milli", needs.GpuMilli);
            if (needs.MemoryLimitBytes is { } limit)
            {
                w.WriteNumber("memory_limit", limit);
            }
            w.WriteEndObject();
            w.WriteStartArray("gpus");
            foreach (var gpu in context.Grant.GpuNames)
            {
                w.WriteStringValue(gpu);
            }
            w.WriteEndArray();
        });
    }

    public static TrialContext ParseRequest(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var lease = new TrialLease(r.GetProperty("trial_id").GetString()!, r.GetProperty("study_id").GetString()!, r.GetProperty("study").GetString()!,
            r.GetProperty("key").GetString()!, r.GetProperty("replicate").GetInt32(), r.GetProperty("params").GetString()!, r.GetProperty("seed").GetInt64(),
            r.GetProperty("attempt").GetInt32(), r.GetProperty("max_attempts").GetInt32(), 0, DateTimeOffset.MaxValue);
        var needs = Resources.TrialNeeds.None;
        if (r.TryGetProperty("needs", out var n) && n.ValueKind == JsonValueKind.Object)
        {
            needs = new Resources.TrialNeeds(n.GetProperty("cpus").GetInt32(), n.GetProperty("memory").GetInt64(), n.GetProperty("gpu_milli").GetInt32(),
                n.TryGetProperty("memory_limit", out var limit) ? limit.GetInt64() : null);
        }
        IReadOnlyList<string> gpus = r.TryGetProperty("gpus", out var g) && g.ValueKind == JsonValueKind.Array ? [.. g.EnumerateArray().Select(e => e.GetString() ?? string.Empty)] : [];
        return new TrialContext(lease with { Needs = needs }, ParamSet.FromJson(lease.ParamsJson), r.GetProperty("trial_dir").GetString()!, r.GetProperty("slot").GetInt32())
        {
            Grant = needs.IsNone ? Resources.ResourceGrant.None : new Resources.ResourceGrant(needs, [.. gpus.Select((_, i) => i)], gpus),
        };
    }

    public static string Response(TrialOutcome outcome) => Json(w =>
    {
        w.WriteString("status", outcome.Status.ToName());
        w.WriteNumber("duration_ms", outcome.Duration.TotalMilliseconds);
        w.WriteString("results", outcome.ResultsJson);
        w.WriteString("error", outcome.Error);
        if (outcome.ExitCode is { } exitCode)
        {
            w.WriteNumber("exit_code", exitCode);
        }
        w.WriteStartArray("tags");
        foreach (var tag in outcome.Tags)
        {
            w.WriteStringValue(tag);
        }
        w.WriteEndArray();
        w.WriteString("note", outcome.Note);
        if (outcome.Place is { } place)
        {
            // An MPI rank says where it really ran the trial: the coordinator's own host and pid would be wrong.
            w.WriteStartObject("place");
            w.WriteString("host", place.Host);
            w.WriteNumber("pid", place.Pid);
            if (place.Rank is { } rank)
            {
                w.WriteNumber("rank", rank);
            }
            w.WriteEndObject();
        }
        if (outcome.Usage is { } usage)
        {
            w.WriteString("usage", usage.ToJson());
        }
        w.WriteStartArray("metrics");
        foreach (var m in outcome.Metrics)
        {
            w.WriteStartArray();
            w.WriteStringValue(m.Name);
            w.WriteNumberValue(m.Step);
            if (double.IsFinite(m.Value))
            {
                w.WriteNumberValue(m.Value);
            }
            else
            {
                w.WriteNullValue();
            }
            w.WriteNumberValue(m.Time.ToUnixTimeMilliseconds());
            w.WriteEndArray();
        }
        w.WriteEndArray();
    });

    public static TrialOutcome ParseResponse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var metrics = r.GetProperty("metrics").EnumerateArray().Select(m => new MetricPoint(m[0].GetString()!, m[1].GetInt64(),
            m[2].ValueKind == JsonValueKind.Null ? double.NaN : m[2].GetDouble(), DateTimeOffset.FromUnixTimeMilliseconds(m[3].GetInt64()))).ToList();
        return new TrialOutcome(TrialStatusNames.Parse(r.GetProperty("status").GetString()!), TimeSpan.FromMilliseconds(r.GetProperty("duration_ms").GetDouble()),
            r.GetProperty("results").GetString(), r.GetProperty("error").GetString(), r.TryGetProperty("exit_code", out var exit) ? exit.GetInt32() : null)
        {
            Metrics = metrics,
            Tags = r.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
                ? [.. tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)]
                : [],
            Note = r.TryGetProperty("note", out var note) && note.ValueKind == JsonValueKind.String ? note.GetString() : null,
            Usage = r.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.String ? Resources.TrialUsage.FromJson(usage.GetString()) : null,
            Place = r.TryGetProperty("place", out var place) && place.ValueKind == JsonValueKind.Object
                ? new TrialPlace(place.GetProperty("host").GetString() ?? "?", place.GetProperty("pid").GetInt32(), place.TryGetProperty("rank", out var rank) ? rank.GetInt32() : null)
                : null,
        };
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
