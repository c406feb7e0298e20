using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Expt.Spec;

/// <summary>A validated study definition: what to run, over which parameter space, how many times.</summary>
public sealed record StudySpec
{
    /// <summary>The study name, unique in a store.</summary>
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Labels for filtering.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The command each trial runs, when trials are commands.</summary>
    public CommandTemplate? Command { get; init; }

    /// <summary>The Python function each trial calls (<c>python: train:main</c>), when trials are Python functions.</summary>
    public PythonTarget? Python { get; init; }

    /// <summary>The executor a plugin registers, when the study names one (<c>executor:</c>); null for Expt's own.</summary>
    public ExecutorChoice? Executor { get; init; }

    /// <summary>The name of a C# experiment registered with the host, when trials are C# code.</summary>
    public string? Experiment { get; init; }

    /// <summary>The directory command trials run in (absolute).</summary>
    public string WorkDir { get; init; } = Directory.GetCurrentDirectory();

    public ParamSpace Space { get; init; } = new();

    /// <summary>Runs of each parameter point, each with its own seed (with <see cref="Adaptive"/>: the runs up front).</summary>
    public int Replications { get; init; } = 1;

    /// <summary>Replicates decided as results come in (sequential stopping or a race), or null for a fixed number.</summary>
    public Expt.Adaptive.AdaptivePlan? Adaptive { get; init; }

    /// <summary>The most replicates a point can have: <see cref="Replications"/>, or an adaptive plan's maximum.</summary>
    public int MaxReplications => Adaptive?.MaxReplicates ?? Replications;

    /// <summary>The study seed; every trial seed derives from it.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Trials at once, as users of joblib, yanex and GNU parallel write it: a positive number is that many; 0 (or
    /// <c>auto</c>, <c>null</c>) is one per core; a negative number counts back from the cores as joblib does (-1 all
    /// cores, -2 all but one). Resolved on each machine: see <see cref="EffectiveParallel"/>.
    /// </summary>
    public int Parallel { get; init; }

    /// <summary>Per-trial time limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Extra attempts after a failure or timeout.</summary>
    public int Retries { get; init; }

    /// <summary>Extra environment variables for command trials.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>How much of the machine and environment is recorded.</summary>
    public Provenance.SystemInfoLevel SystemInfo { get; init; } = Provenance.SystemInfoLevel.Basic;

    /// <summary>Bounds on what each trial may hand back.</summary>
    public Execution.TrialLimits Limits { get; init; } = new();

    /// <summary>
    /// Leave alone what a command trial starts and leaves running when its main process exits (a daemon meant to
    /// outlive it); by default it is ended after a short grace, as a batch system ends a job step's processes.
    /// </summary>
    public bool KeepChildren { get; init; }

    /// <summary>The metrics the study is after and which way is better (<c>objectives:</c>), in declared order.</summary>
    public Analysis.Objectives Objectives { get; init; } = Analysis.Objectives.None;

    /// <summary>A template for each trial's name (<c>trial_name: "{dataset}-lr{lr}"</c>), or null.</summary>
    public string? TrialName { get; init; }

    /// <summary>What each trial needs (<c>resources:</c>) and which run first (<c>priority:</c>).</summary>
    public Resources.ResourcePlan Resources { get; init; } = Expt.Resources.ResourcePlan.None;

    /// <summary>The file the study came from, if any.</summary>
    public string? SourceFile { get; init; }

    /// <summary>The number of worker slots to use on this machine.</summary>
    public int EffectiveParallel => ResolveParallel(Parallel, Environment.ProcessorCount);

    /// <summary>Trials at once for a requested count on a machine of <paramref name="cores"/>: see <see cref="Parallel"/>.</summary>
    public static int ResolveParallel(int requested, int cores) => requested switch
    {
        > 0 => requested,
        0 => cores,
        _ => Math.Max(1, cores + 1 + requested),
    };

    /// <summary>
    /// What makes stored trials comparable with new ones: the seed, what runs and the parameter names. A study may
    /// grow (new points, more replications) but not change these.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            // The stored (redacted) command: a password on the command line neither enters the store hashed nor makes
            // a new password look like a new study.
            var text = string.Join('\n', "seed=" + Seed, "command=" + StoredCommand, "shell=" + Command?.Shell, "experiment=" + Experiment,
                "params=" + string.Join(',', Space.Names.Order(StringComparer.Ordinal)));
            // The function, not how it runs: switching fork/inline/fresh, preloads or interpreter keeps the study.
            // (Appended only for Python studies, so every other study keeps the fingerprint it was stored with.)
            if (Python is not null)
            {
                text += "\npython=" + Python.Function;
            }
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <summary>The command as stored: with any secret on it masked (see <see cref="Provenance.Redactor"/>).</summary>
    public string? StoredCommand => Command is null ? null : Provenance.Redactor.RedactText(Command.Text);

    /// <summary>True when the command line holds a secret, which is used by this run but never stored.</summary>
    public bool CommandHoldsSecret => Command is not null && StoredCommand != Command.Text;

    /// <summary>The resolved definition as JSON, stored with the study for provenance (secrets masked).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", Name);
            w.WriteString("description", Description is null ? null : Provenance.Redactor.RedactText(Description));
            w.WritePropertyName("tags");
            JsonSerializer.Serialize(w, Tags);
            w.WriteString("command", StoredCommand);
            if (CommandHoldsSecret)
            {
                // A worker elsewhere cannot run a command whose secret was removed: it says so instead of running it.
                w.WriteBoolean("command_secret_removed", true);
            }
            w.WriteBoolean("shell", Command?.Shell ?? false);
            w.WriteString("experiment", Experiment);
            Python?.WriteTo(w);
            Executor?.WriteTo(w);
            w.WriteString("workdir", WorkDir);
            w.WriteNumber("replications", Replications);
            w.WriteNumber("seed", Seed);
            w.WriteNumber("parallel", Parallel);
            if (Timeout is { } timeout)
            {
                w.WriteNumber("timeout_seconds", timeout.TotalSeconds);
            }
            w.WriteNumber("retries", Retries);
            w.WriteStartObject("env");
            foreach (var (key, value) in Env.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                w.WriteString(key, Provenance.Redactor.RedactVariable(key, value));
            }
            w.WriteEndObject();
            w.WriteString("system_info", SystemInfo.ToString().ToLowerInvariant());
            if (KeepChildren)
            {
                w.WriteBoolean("keep_children", true);
            }
            Objectives.Write(w);
            Adaptive?.WriteTo(w);
            Resources.WriteTo(w);
            if (TrialName is not null)
            {
                w.WriteString("trial_name", TrialName);
            }
            w.WriteStartObject("limits");
            w.WriteNumber("results_bytes", Limits.MaxResultsBytes);
            w.WriteEndObject();
            w.WriteStartObject("axes");
            foreach (var axis in Space.Axes)
            {
                for (var n = 0; n < axis.Names.Count; n++)
                {
                    w.WriteStartArray(axis.Names[n]);
                    foreach (var row in axis.Rows)
                    {
                        ParamValues.WriteJson(w, row[n]);
                    }
                    w.WriteEndArray();
                }
            }
            w.WriteEndObject();
            w.WriteStartArray("points");
            foreach (var point in Space.Points)
            {
                w.WriteRawValue(point.ToFlatJson());
            }
            w.WriteEndArray();
            w.WriteStartObject("random");
            foreach (var (name, distribution) in Space.Random)
            {
                w.WriteString(name, distribution.ToString());
            }
            w.WriteEndObject();
            w.WriteNumber("samples", Space.Samples);
            w.WriteString("where", Space.Where?.Text);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
