using System.Text.Json;

namespace Expt.Analysis;

/// <summary>
/// A study's declared objectives, in order (the first is <em>the</em> objective: what <c>--sort best</c> and
/// rankings use when no metric is named). Every command and the dashboard rank by these, so they cannot disagree.
/// </summary>
public sealed class Objectives
{
    /// <summary>No declared objective.</summary>
    public static Objectives None { get; } = new([]);

    /// <summary>Creates the set.</summary>
    public Objectives(IReadOnlyList<Objective> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = items;
    }

    /// <summary>The objectives in declared order.</summary>
    public IReadOnlyList<Objective> Items { get; }

    /// <summary>The first declared objective, or null.</summary>
    public Objective? Primary => Items.Count > 0 ? Items[0] : null;

    /// <summary>The declared goal of a metric, or null when the study does not say.</summary>
    public Goal? GoalOf(string metric) => Items.FirstOrDefault(o => o.Metric == metric)?.Goal;

    /// <summary>
    /// The goal to rank a metric by: an explicit choice (<c>--maximize</c>) first, then the study's declaration,
    /// then lower-is-better.
    /// </summary>
    public Goal Resolve(string metric, Goal? explicitGoal = null) => explicitGoal ?? GoalOf(metric) ?? Goal.Minimize;

    /// <summary>Reads the <c>objectives</c> member of a stored study spec (absent in studies from older versions).</summary>
    public static Objectives FromSpecJson(string? specJson)
    {
        if (string.IsNullOrEmpty(specJson))
        {
            return None;
        }
        try
        {
            using var doc = JsonDocument.Parse(specJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("objectives", out var objectives) || objectives.ValueKind != JsonValueKind.Object)
            {
                return None;
            }
            var items = new List<Objective>();
            foreach (var p in objectives.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String && Objective.ParseGoal(p.Value.GetString()) is { } goal)
                {
                    items.Add(new Objective(p.Name, goal));
                }
            }
            return new Objectives(items);
        }
        catch (JsonException)
        {
            return None; // A damaged stored spec ranks as if nothing were declared.
        }
    }

    /// <summary>Writes the objectives as a JSON object member <c>objectives</c>.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject("objectives");
        foreach (var o in Items)
        {
            writer.WriteString(o.Metric, o.GoalName);
        }
        writer.WriteEndObject();
    }
}
