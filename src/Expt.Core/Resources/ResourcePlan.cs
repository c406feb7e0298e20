using System.Text.Json;
using Expt.Expressions;
using Expt.Spec;

namespace Expt.Resources;

/// <summary>
/// A study's <c>resources:</c> and <c>priority:</c>: what each trial needs, possibly depending on its parameters
/// through <c>when</c> rules, and which trials run first. Resolved per point when trials are enqueued, and stored with
/// each trial so that a worker claims only what fits its free capacity.
/// </summary>
public sealed record ResourcePlan
{
    /// <summary>No resources declared and priority 0: trials need nothing, bounded by <c>-j</c> only.</summary>
    public static ResourcePlan None { get; } = new();

    /// <summary>True when the study has a <c>resources:</c> key: its trials need at least one core each.</summary>
    public bool Declared { get; init; }

    /// <summary>The needs of every trial before rules.</summary>
    public TrialNeeds Base { get; init; } = TrialNeeds.None;

    /// <summary>Higher runs first (study level; a rule may change it per point).</summary>
    public int Priority { get; init; }

    /// <summary>The <c>when</c> rules, in order.</summary>
    public IReadOnlyList<ResourceRule> Rules { get; init; } = [];

    /// <summary>True when the memory need is learned from the first trials (<c>memory: auto</c>).</summary>
    public bool AutoMemory { get; init; }

    /// <summary>
    /// The memory need stored for a <c>memory: auto</c> trial until one of its study has been measured: more than any
    /// worker has, so only the study's first trial (stored with no memory need) runs, alone, as the probe.
    /// </summary>
    public const long Unmeasured = 1L << 50;

    /// <summary>The margin over the largest measured peak that <c>memory: auto</c> asks for.</summary>
    public const double AutoMargin = 1.25;

    /// <summary>
    /// The needs and priority of a trial enqueued with sequence number <paramref name="seq"/>: with <c>memory: auto</c>,
    /// the first trial of the study (sequence 0) needs no memory and the rest wait for its measurement.
    /// </summary>
    public (TrialNeeds Needs, int Priority) For(ParamSet point, long seq)
    {
        var (needs, priority) = For(point);
        return AutoMemory && needs.MemoryBytes == 0 ? (needs with { MemoryBytes = seq == 0 ? 0 : Unmeasured }, priority) : (needs, priority);
    }

    /// <summary>The needs and priority of the trials of one point.</summary>
    public (TrialNeeds Needs, int Priority) For(ParamSet point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var needs = Base;
        var priority = Priority;
        foreach (var rule in Rules)
        {
            if (!rule.Where.Evaluate(point.TryGetValue))
            {
                continue;
            }
            needs = needs with
            {
                Cpus = rule.Cpus ?? needs.Cpus,
                MemoryBytes = rule.MemoryBytes ?? needs.MemoryBytes,
                GpuMilli = rule.GpuMilli ?? needs.GpuMilli,
                MemoryLimitBytes = rule.MemoryLimitBytes ?? needs.MemoryLimitBytes,
            };
            priority = rule.Priority ?? priority;
        }
        return (needs, priority);
    }

    /// <summary>Writes the plan as the <c>resources</c> and <c>priority</c> members of a stored study definition.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Priority != 0)
        {
            writer.WriteNumber("priority", Priority);
        }
        if (!Declared)
        {
            return;
        }
        writer.WriteStartObject("resources");
        WriteNeeds(writer, Base.Cpus, AutoMemory ? null : Base.MemoryBytes, Base.GpuMilli, Base.MemoryLimitBytes, null);
        if (AutoMemory)
        {
            writer.WriteString("memory", "auto");
        }
        if (Rules.Count > 0)
        {
            writer.WriteStartArray("when");
            foreach (var rule in Rules)
            {
                writer.WriteStartObject();
                writer.WriteString("where", rule.Where.Text);
                WriteNeeds(writer, rule.Cpus, rule.MemoryBytes, rule.GpuMilli, rule.MemoryLimitBytes, rule.Priority);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteNeeds(Utf8JsonWriter writer, int? cpus, long? memory, int? gpuMilli, long? memoryLimit, int? priority)
    {
        if (cpus is { } c)
        {
            writer.WriteNumber("cpus", c);
        }
        if (memory is { } m)
        {
            writer.WriteNumber("memory_bytes", m);
        }
        if (gpuMilli is { } g)
        {
            writer.WriteNumber("gpus", g / 1000.0);
        }
        if (memoryLimit is { } l)
        {
            writer.WriteNumber("memory_limit_bytes", l);
        }
        if (priority is { } p)
        {
            writer.WriteNumber("priority", p);
        }
    }

    /// <summary>Reads the plan back from a stored study definition (tolerant: what is damaged reads as not declared).</summary>
    public static ResourcePlan FromStored(JsonElement root)
    {
        var priority = Int(root, "priority") ?? 0;
        if (!root.TryGetProperty("resources", out var r) || r.ValueKind != JsonValueKind.Object)
        {
            return priority == 0 ? None : new ResourcePlan { Priority = priority };
        }
        var rules = new List<ResourceRule>();
        if (r.TryGetProperty("when", out var when) && when.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in when.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("where", out var w) || w.ValueKind != JsonValueKind.String)
                {
                    continue;
                }
                try
                {
                    rules.Add(new ResourceRule(WhereExpression.Parse(w.GetString()!))
                    {
                        Cpus = Int(item, "cpus"),
                        MemoryBytes = Long(item, "memory_bytes"),
                        GpuMilli = Milli(item),
                        MemoryLimitBytes = Long(item, "memory_limit_bytes"),
                        Priority = Int(item, "priority"),
                    });
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
                {
                    // A damaged rule is dropped: the trials were enqueued with their needs already.
                }
            }
        }
        return new ResourcePlan
        {
            Declared = true,
            Priority = priority,
            Base = new TrialNeeds(Math.Max(0, Int(r, "cpus") ?? 1), Long(r, "memory_bytes") ?? 0, Milli(r) ?? 0, Long(r, "memory_limit_bytes")),
            AutoMemory = r.TryGetProperty("memory", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() == "auto",
            Rules = rules,
        };
    }

    // A stored definition is read without trusting it: a value of the wrong kind or out of range reads as absent.
    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) && l >= 0 ? l : null;

    private static int? Milli(JsonElement e) => e.TryGetProperty("gpus", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= 0 && d <= 1024 ? (int)Math.Round(d * 1000) : null;
}
