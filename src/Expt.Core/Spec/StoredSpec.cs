using System.Text.Json;
using Expt.Execution;

namespace Expt.Spec;

/// <summary>
/// A study's definition as the store keeps it (the JSON <see cref="StudySpec.ToJson"/> writes), read back: what a worker
/// that never saw the study file needs to run its trials, and what <c>expt add</c> needs to add points. Read without
/// trusting it: a row written by hand or by an older Expt gives the defaults for what it lacks.
/// </summary>
public sealed record StoredSpec
{
    /// <summary>The command line, redacted as stored; null for a C# experiment.</summary>
    public string? Command { get; init; }

    /// <summary>The command held a secret, which was removed: the stored command cannot be run.</summary>
    public bool CommandSecretRemoved { get; init; }

    /// <summary>The command runs through <c>/bin/sh -c</c>.</summary>
    public bool Shell { get; init; }

    /// <summary>The C# experiment, when the study has no command.</summary>
    public string? Experiment { get; init; }

    /// <summary>The Python function each trial calls, when trials are Python functions.</summary>
    public PythonTarget? Python { get; init; }

    /// <summary>The executor a plugin registers, when the study names one.</summary>
    public ExecutorChoice? Executor { get; init; }

    /// <summary>Where commands run.</summary>
    public string WorkDir { get; init; } = ".";

    /// <summary>Runs per point.</summary>
    public int Replications { get; init; } = 1;

    /// <summary>Extra attempts after a failure.</summary>
    public int Retries { get; init; }

    /// <summary>The per-trial time limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Extra environment variables; secret-looking ones were masked when stored and are left out here.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>What a trial may hand back.</summary>
    public TrialLimits Limits { get; init; } = new();

    /// <summary>Processes a command trial leaves running are left alone.</summary>
    public bool KeepChildren { get; init; }

    /// <summary>The trial name template, if any.</summary>
    public string? TrialName { get; init; }

    /// <summary>What each trial needs and which run first.</summary>
    public Resources.ResourcePlan Resources { get; init; } = Expt.Resources.ResourcePlan.None;

    /// <summary>Every parameter name, in declaration order: axes, then points, then random ones.</summary>
    public IReadOnlyList<string> ParameterNames { get; init; } = [];

    /// <summary>The parameters with one value (fixed), laid under every point.</summary>
    public IReadOnlyDictionary<string, object?> FixedValues { get; init; } = new Dictionary<string, object?>();

    /// <summary>Reads a stored definition; a row that is not JSON at all reads as the defaults (no command, no experiment).</summary>
    public static StoredSpec Read(string specJson)
    {
        ArgumentNullException.ThrowIfNull(specJson);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(specJson);
        }
        catch (JsonException)
        {
            return new StoredSpec();
        }
        using var _ = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new StoredSpec();
        }
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool True(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
        int Int(string name, int fallback) => root.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : fallback;

        var names = new List<string>();
        var fixedJson = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (root.TryGetProperty("axes", out var axes) && axes.ValueKind == JsonValueKind.Object)
        {
            foreach (var axis in axes.EnumerateObject())
            {
                names.Add(axis.Name);
                if (axis.Value.ValueKind == JsonValueKind.Array && axis.Value.GetArrayLength() == 1)
                {
                    fixedJson[axis.Name] = axis.Value[0];
                }
            }
        }
        if (root.TryGetProperty("points", out var points) && points.ValueKind == JsonValueKind.Array)
        {
            names.AddRange(points.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object).SelectMany(p => p.EnumerateObject()).Select(p => p.Name));
        }
        if (root.TryGetProperty("random", out var random) && random.ValueKind == JsonValueKind.Object)
        {
            names.AddRange(random.EnumerateObject().Select(p => p.Name));
        }
        var env = root.TryGetProperty("env", out var e) && e.ValueKind == JsonValueKind.Object
            ? e.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() != Provenance.Redactor.Mask)
                .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        return new StoredSpec
        {
            Command = Text("command"),
            CommandSecretRemoved = True("command_secret_removed"),
            Shell = True("shell"),
            Experiment = Text("experiment"),
            Python = PythonTarget.FromStored(root),
            Executor = ExecutorChoice.FromStored(root),
            WorkDir = Text("workdir") ?? ".",
            Replications = Math.Max(1, Int("replications", 1)),
            Retries = Math.Max(0, Int("retries", 0)),
            Timeout = root.TryGetProperty("timeout_seconds", out var t) && t.TryGetDouble(out var seconds) && double.IsFinite(seconds) && seconds > 0
                ? TimeSpan.FromSeconds(Math.Min(seconds, InputLimits.MaxDuration.TotalSeconds))
                : null,
            Env = env,
            Limits = root.TryGetProperty("limits", out var l) && l.ValueKind == JsonValueKind.Object && l.TryGetProperty("results_bytes", out var r) && r.TryGetInt64(out var bytes)
                ? new TrialLimits { MaxResultsBytes = bytes }
                : new TrialLimits(),
            KeepChildren = True("keep_children"),
            TrialName = Text("trial_name"),
            Resources = Expt.Resources.ResourcePlan.FromStored(root),
            ParameterNames = names.Distinct(StringComparer.Ordinal).ToList(),
            FixedValues = ParamSet.FromJson(JsonSerializer.Serialize(fixedJson)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
    }
}
