using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>
/// The stable JSON shape of a trial (documented in docs/cli.md): id, study, status, params (flat object, dotted
/// names, types kept), replicate, seed, results (object), attempts, max_attempts, started, finished (ISO 8601 UTC),
/// duration (seconds), host, pid, exit_code, error, key, interruptions, history (retried and interrupted attempts),
/// name, tags (the trial's own), note, run (the invocation that ran it), rank (MPI), needs (cpus, memory_bytes, gpus,
/// memory_limit_bytes), usage (what the last attempt was given and used, or null).
/// </summary>
internal static class TrialJson
{
    public static void Write(Utf8JsonWriter w, TrialRecord t)
    {
        w.WriteStartObject();
        w.WriteString("id", t.Id);
        w.WriteString("study", t.StudyName);
        w.WriteString("status", t.Status.ToName());
        WriteStored(w, "params", t.ParamsJson, "{}");
        w.WriteNumber("replicate", t.Replicate);
        w.WriteNumber("seed", t.Seed);
        WriteStored(w, "results", t.ResultsJson, "{}");
        w.WriteNumber("attempts", t.Attempts);
        w.WriteNumber("max_attempts", t.MaxAttempts);
        WriteTime(w, "created", t.Created);
        WriteTime(w, "started", t.Started);
        WriteTime(w, "finished", t.Finished);
        if (t.Duration is { } d)
        {
            w.WriteNumber("duration", Math.Round(d.TotalSeconds, 6));
        }
        else
        {
            w.WriteNull("duration");
        }
        w.WriteString("host", t.Host);
        if (t.Pid is { } pid)
        {
            w.WriteNumber("pid", pid);
        }
        else
        {
            w.WriteNull("pid");
        }
        if (t.ExitCode is { } code)
        {
            w.WriteNumber("exit_code", code);
        }
        else
        {
            w.WriteNull("exit_code");
        }
        w.WriteString("error", t.Error);
        w.WriteString("key", t.Key);
        w.WriteNumber("interruptions", t.Interruptions);
        WriteStored(w, "history", t.History, "null");
        w.WriteString("name", t.Name);
        w.WriteStartArray("tags");
        foreach (var tag in t.Tags)
        {
            w.WriteStringValue(tag);
        }
        w.WriteEndArray();
        w.WriteString("note", t.Note);
        w.WriteString("run", t.RunId);
        if (t.Rank is { } rank)
        {
            w.WriteNumber("rank", rank);
        }
        else
        {
            w.WriteNull("rank");
        }
        w.WriteStartObject("needs");
        w.WriteNumber("cpus", t.Needs.Cpus);
        w.WriteNumber("memory_bytes", t.Needs.MemoryBytes);
        w.WriteNumber("gpus", t.Needs.Gpus);
        if (t.Needs.MemoryLimitBytes is { } limit)
        {
            w.WriteNumber("memory_limit_bytes", limit);
        }
        w.WriteEndObject();
        // What the last attempt was given and used: cores, GPUs, CPU time, peak memory of its process tree.
        WriteStored(w, "usage", Resources.TrialUsage.FromJson(t.UsageJson)?.ToJson(), "null");
        w.WriteEndObject();
    }

    /// <summary>JSON kept in the store, written as it is when it is valid JSON, else as <paramref name="fallback"/> (a damaged or hand-written row).</summary>
    public static void WriteStored(Utf8JsonWriter w, string name, string? json, string fallback)
    {
        w.WritePropertyName(name);
        // Validated first (a damaged row is written as the fallback), then written as stored: compact, keys in order.
        w.WriteRawValue(StoredValues.Json(json) is null ? fallback : json!);
    }

    public static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            w.WriteString(name, value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>
    /// A value in a CSV or table cell: non-finite numbers as pandas reads them (<c>NaN</c>, <c>inf</c>, <c>-inf</c>),
    /// anything else as it is shown everywhere.
    /// </summary>
    public static string Cell(object? value) => value switch
    {
        double d when double.IsNaN(d) => "NaN",
        double d when double.IsPositiveInfinity(d) => "inf",
        double d when double.IsNegativeInfinity(d) => "-inf",
        _ => ParamValues.Format(value),
    };

    /// <summary>Results as name/value pairs for tables.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> ResultValues(string? resultsJson) => Analysis.ResultValues.Parse(resultsJson);

    /// <summary>A number for display: short, invariant.</summary>
    public static string Display(object? value) => value switch
    {
        double d when double.IsFinite(d) => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        decimal m when m.Scale > 6 => ((double)m).ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        double d when !double.IsFinite(d) => Cell(d),
        // An array by its first values and shape; a long string by its start and size: one result cannot flood a table.
        string s when s.StartsWith('[') && Text.ArrayPreview.Describe(s) is { } preview => preview,
        _ => Execution.TrialWarnings.Cut(ParamValues.Format(value), 80),
    };
}
