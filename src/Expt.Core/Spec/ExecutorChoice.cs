using System.Text.Json;

namespace Expt.Spec;

/// <summary>
/// A study's <c>executor:</c>, the kind of executor a plugin registers (<c>executor: {kind: wrap, with: "ssh gpu1"}</c>):
/// its kind and its options, plain strings the plugin reads. Stored with the study, so a worker anywhere makes the
/// same executor; an option named like a secret is stored masked.
/// </summary>
/// <param name="Kind">The kind a plugin registered (<see cref="Plugins.IExecutorProvider.Kind"/>).</param>
/// <param name="Options">The other keys, as text.</param>
public sealed record ExecutorChoice(string Kind, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>Writes the choice into a study's stored JSON.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("executor");
        w.WriteString("kind", Kind);
        foreach (var (key, value) in Options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            w.WriteString(key, Provenance.Redactor.RedactVariable(key, value));
        }
        w.WriteEndObject();
    }

    /// <summary>Reads the choice from a study's stored JSON; null when it has none.</summary>
    public static ExecutorChoice? FromStored(JsonElement root)
    {
        if (!root.TryGetProperty("executor", out var e) || e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        var options = e.EnumerateObject().Where(p => p.Name != "kind" && p.Value.ValueKind == JsonValueKind.String)
            .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        return new ExecutorChoice(kind.GetString()!, options);
    }
}
