using System.Text.Json;
using Expt.Analysis;

namespace Expt.Adaptive;

/// <summary>
/// How many replicates each point runs when that is decided as results come in: sequential stopping per point, or a
/// race between points. Exactly one of <see cref="Sequential"/> and <see cref="Race"/> is set.
/// </summary>
public sealed record AdaptivePlan
{
    /// <summary>Sequential stopping per point, or null.</summary>
    public SequentialStopping? Sequential { get; init; }

    /// <summary>A race between points, or null.</summary>
    public RaceSettings? Race { get; init; }

    /// <summary>Replicates every point gets up front.</summary>
    public int InitialReplicates => Sequential?.Min ?? Race!.MinReplications;

    /// <summary>The most replicates a point can get (its trials' sequence numbers leave room for them).</summary>
    public int MaxReplicates => Sequential?.Max ?? Race!.MaxReplications;

    /// <summary>The results the decisions read.</summary>
    public IReadOnlyList<string> Metrics => Sequential?.Until.Metrics ?? [Race!.Metric];

    /// <summary>Writes the plan as the member <c>adaptive</c> of the stored study definition.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject("adaptive");
        if (Sequential is { } s)
        {
            writer.WriteString("mode", "sequential");
            writer.WriteNumber("min", s.Min);
            writer.WriteNumber("max", s.Max);
            writer.WriteString("until", s.Until.Text);
            if (s.Until.Objective is { } objective)
            {
                writer.WriteString("objective", objective);
            }
        }
        else if (Race is { } r)
        {
            writer.WriteString("mode", "race");
            writer.WriteString("metric", r.Metric);
            writer.WriteString("goal", r.Goal == Goal.Minimize ? "minimize" : "maximize");
            writer.WriteString("test", r.TestName);
            writer.WriteNumber("alpha", r.Alpha);
            writer.WriteNumber("min_replications", r.MinReplications);
            writer.WriteNumber("max_replications", r.MaxReplications);
        }
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads the plan back from a stored study definition; null when the study is not adaptive or the member is damaged
    /// (its trials then run as they are, with no replicate added).
    /// </summary>
    public static AdaptivePlan? FromStored(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("adaptive", out var a) || a.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        string? Text(string name) => a.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int? Int(string name) => a.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) && i is >= 1 and <= Spec.InputLimits.MaxReplicates ? i : null;
        switch (Text("mode"))
        {
            case "sequential" when Int("min") is { } min && Int("max") is { } max && min <= max && Text("until") is { } until:
                try
                {
                    // 'objective' as resolved when the study was defined (its first objective then).
                    var rule = StoppingRule.Parse(until, Text("objective"));
                    return new AdaptivePlan { Sequential = new SequentialStopping(min, max, rule) };
                }
                catch (FormatException)
                {
                    return null;
                }
            case "race" when Text("metric") is { Length: > 0 } metric && Objective.ParseGoal(Text("goal")) is { } goal && RaceSettings.ParseTest(Text("test")) is { } test
                && a.TryGetProperty("alpha", out var alphaElement) && alphaElement.TryGetDouble(out var alpha) && alpha is > 0 and < 1
                && Int("min_replications") is { } minReps && Int("max_replications") is { } maxReps && minReps >= 2 && minReps <= maxReps:
                return new AdaptivePlan { Race = new RaceSettings(metric, goal, test, alpha, minReps, maxReps) };
            default:
                return null;
        }
    }
}
