using System.Globalization;
using Expt.Spec;

namespace Expt;

/// <summary>
/// The fluent way to define a C# experiment:
/// <code>
/// var exp = Experiment.Define("anneal")
///     .Param("cooling", 0.9, 0.95, 0.99)
///     .Sweep("restarts", "range(1, 4)")
///     .Replications(5).Seed(42)
///     .Run(trial =&gt; new { cost = Solve(trial.Get&lt;double&gt;("cooling"), trial.Random) });
/// </code>
/// </summary>
public sealed class Experiment
{
    private readonly string _name;
    private readonly List<ConfigEntry> _top = [];
    private readonly List<ConfigEntry> _params = [];
    private readonly List<ConfigNode> _linked = [];
    private readonly List<ConfigNode> _exclude = [];
    private readonly List<ConfigEntry> _objectives = [];
    private readonly List<ConfigEntry> _resources = [];
    private readonly List<ConfigNode> _resourceRules = [];

    private Experiment(string name) => _name = name;

    /// <summary>Starts defining an experiment.</summary>
    public static Experiment Define(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new Experiment(name);
    }

    private static SourceLocation Code => SourceLocation.Code;

    /// <summary>Converts a CLR value to a configuration scalar that resolves back to the same typed value.</summary>
    internal static ConfigScalar ToScalar(object? value) => ParamValues.Normalize(value) switch
    {
        null => new ConfigScalar("null", false, Code),
        string s => new ConfigScalar(s, true, Code),
        var v => new ConfigScalar(ParamValues.Format(v) switch { "nan" => ".nan", "inf" => ".inf", "-inf" => "-.inf", var text => text }, false, Code),
    };

    /// <summary>A value as a configuration node: a list-valued parameter's value becomes a sequence (mappings inside it mappings).</summary>
    internal static ConfigNode ToNode(object? value) => ParamValues.Normalize(value) switch
    {
        ParamList list => new ConfigSequence(list.Select(ToNode).ToList(), Code),
        ParamMap map => new ConfigMapping(map.Select(e => new ConfigEntry(e.Key, Code, ToNode(e.Value))).ToList(), Code),
        var v => ToScalar(v),
    };

    private Experiment Top(string key, ConfigNode value)
    {
        _top.RemoveAll(e => e.Key == key);
        _top.Add(new ConfigEntry(key, Code, value));
        return this;
    }

    /// <summary>A parameter: one value is fixed, several are an axis of the grid.</summary>
    public Experiment Param(string name, params object?[] values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(values);
        _params.RemoveAll(e => e.Key == name);
        // One list value (Param("layers", new[] { 64, 32 })) is a fixed list: an axis of one list, [[64, 32]].
        var single = values.Length == 1 && ParamValues.Normalize(values[0]) is not (ParamList or ParamMap);
        _params.Add(new ConfigEntry(name, Code, single ? ToScalar(values[0]) : new ConfigSequence(values.Select(ToNode).ToList(), Code)));
        return this;
    }

    /// <summary>A parameter given by a sweep or distribution expression: <c>range(...)</c>, <c>linspace(...)</c>, <c>loguniform(...)</c>...</summary>
    public Experiment Sweep(string name, string expression)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(expression);
        _params.RemoveAll(e => e.Key == name);
        _params.Add(new ConfigEntry(name, Code, new ConfigScalar(expression, false, Code)));
        return this;
    }

    /// <summary>Parameters that vary together (a zip): every list must have the same length.</summary>
    public Experiment Linked(params (string Name, object?[] Values)[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _linked.Add(new ConfigMapping(columns.Select(c => new ConfigEntry(c.Name, Code, new ConfigSequence(c.Values.Select(v => (ConfigNode)ToScalar(v)).ToList(), Code))).ToList(), Code));
        return this;
    }

    /// <summary>Drops the points where every given parameter has the given value.</summary>
    public Experiment Exclude(params (string Name, object? Value)[] rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        _exclude.Add(new ConfigMapping(rule.Select(r => new ConfigEntry(r.Name, Code, ToScalar(r.Value))).ToList(), Code));
        return this;
    }

    /// <summary>Keeps only the points for which the expression is true, e.g. <c>"lr &lt; 0.1 or opt == 'adam'"</c>.</summary>
    public Experiment Where(string expression) => Top("where", new ConfigScalar(expression, true, Code));

    /// <summary>Random draws per grid point, for parameters given as distributions.</summary>
    public Experiment Samples(int samples) => Top("samples", ToScalar(samples));

    /// <summary>Runs of each parameter point, each with its own seed.</summary>
    public Experiment Replications(int replications) => Top("replications", ToScalar(replications));

    /// <summary>
    /// Sequential stopping: each point runs <paramref name="min"/> replicates, then one more at a time until
    /// <paramref name="until"/> holds for its completed replicates (e.g. <c>"ci95_halfwidth(loss) &lt; 0.01"</c>) or it ran
    /// <paramref name="max"/>. See <see cref="Adaptive.StoppingRule"/> for what a rule may read.
    /// </summary>
    public Experiment Replications(int min, int max, string until)
    {
        ArgumentNullException.ThrowIfNull(until);
        _top.RemoveAll(e => e.Key == "race");
        return Top("replications", new ConfigMapping(
            [new ConfigEntry("min", Code, ToScalar(min)), new ConfigEntry("max", Code, ToScalar(max)), new ConfigEntry("until", Code, new ConfigScalar(until, true, Code))], Code));
    }

    /// <summary>
    /// Races the points against each other: each runs <paramref name="minReplications"/> replicates, then rounds of one
    /// more; after each round the points statistically worse than the best on <paramref name="metric"/> (by default the
    /// first objective; its goal must be declared with <see cref="Minimize"/> or <see cref="Maximize"/>) stop.
    /// </summary>
    public Experiment Race(string? metric = null, Adaptive.RaceTest test = Adaptive.RaceTest.T, double alpha = 0.05, int minReplications = 5, int maxReplications = 30)
    {
        _top.RemoveAll(e => e.Key == "replications");
        var entries = new List<ConfigEntry>
        {
            new("test", Code, new ConfigScalar(test == Adaptive.RaceTest.T ? "t" : "friedman", false, Code)),
            new("alpha", Code, ToScalar(alpha)),
            new("min_replications", Code, ToScalar(minReplications)),
            new("max_replications", Code, ToScalar(maxReplications)),
        };
        if (metric is not null)
        {
            entries.Insert(0, new ConfigEntry("metric", Code, new ConfigScalar(metric, true, Code)));
        }
        return Top("race", new ConfigMapping(entries, Code));
    }

    public Experiment Seed(long seed) => Top("seed", ToScalar(seed));

    /// <summary>Worker slots (trials at once); 0 for one per core.</summary>
    public Experiment Parallel(int slots) => Top("parallel", slots == 0 ? new ConfigScalar("auto", false, Code) : ToScalar(slots));

    /// <summary>Per-trial time limit.</summary>
    public Experiment Timeout(TimeSpan timeout) => Top("timeout", new ConfigScalar(timeout.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) + "s", false, Code));

    /// <summary>Extra attempts after a failure or timeout.</summary>
    public Experiment Retries(int retries) => Top("retries", ToScalar(retries));

    public Experiment Description(string description) => Top("description", new ConfigScalar(description, true, Code));

    public Experiment Tags(params string[] tags) => Top("tags", new ConfigSequence(tags.Select(t => (ConfigNode)new ConfigScalar(t, true, Code)).ToList(), Code));

    /// <summary>
    /// Declares that lower <paramref name="metric"/> is better: summaries, <c>ls --sort best</c>, comparisons, reports
    /// and the dashboard rank by it. The first objective declared is the study's primary one.
    /// </summary>
    public Experiment Minimize(string metric) => Objective(metric, "minimize");

    /// <summary>Declares that higher <paramref name="metric"/> is better (see <see cref="Minimize"/>).</summary>
    public Experiment Maximize(string metric) => Objective(metric, "maximize");

    private Experiment Objective(string metric, string goal)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        _objectives.RemoveAll(e => e.Key == metric);
        _objectives.Add(new ConfigEntry(metric, Code, new ConfigScalar(goal, false, Code)));
        return this;
    }

    /// <summary>
    /// Declares what each trial needs, so trials start only when it is free (see docs/configuration.md#resources):
    /// <paramref name="cpus"/> cores, <paramref name="memory"/> such as <c>"3G"</c>, <paramref name="gpus"/> whole GPUs or a
    /// fraction of one (0.5: two trials share a GPU), and a hard <paramref name="memoryLimit"/>. Checked as a study file's
    /// <c>resources:</c> is, with the same messages.
    /// </summary>
    public Experiment Resources(int cpus = 1, string? memory = null, double gpus = 0, string? memoryLimit = null)
    {
        _resources.RemoveAll(e => e.Key is "cpus" or "memory" or "gpus" or "memory_limit");
        _resources.Add(new ConfigEntry("cpus", Code, ToScalar(cpus)));
        if (memory is not null)
        {
            _resources.Add(new ConfigEntry("memory", Code, new ConfigScalar(memory, false, Code)));
        }
        if (gpus != 0)
        {
            _resources.Add(new ConfigEntry("gpus", Code, ToScalar(gpus)));
        }
        if (memoryLimit is not null)
        {
            _resources.Add(new ConfigEntry("memory_limit", Code, new ConfigScalar(memoryLimit, false, Code)));
        }
        return this;
    }

    /// <summary>
    /// Changes the needs (and priority) of the points where <paramref name="where"/> holds, e.g.
    /// <c>.ResourcesWhen("model == \"large\"", gpus: 2, memory: "16G")</c>; later rules win.
    /// </summary>
    public Experiment ResourcesWhen(string where, int? cpus = null, string? memory = null, double? gpus = null, string? memoryLimit = null, int? priority = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(where);
        var entries = new List<ConfigEntry> { new("where", Code, new ConfigScalar(where, true, Code)) };
        void Add(string key, ConfigNode? value)
        {
            if (value is not null)
            {
                entries.Add(new ConfigEntry(key, Code, value));
            }
        }
        Add("cpus", cpus is { } c ? ToScalar(c) : null);
        Add("memory", memory is null ? null : new ConfigScalar(memory, false, Code));
        Add("gpus", gpus is { } g ? ToScalar(g) : null);
        Add("memory_limit", memoryLimit is null ? null : new ConfigScalar(memoryLimit, false, Code));
        Add("priority", priority is { } p ? ToScalar(p) : null);
        _resourceRules.Add(new ConfigMapping(entries, Code));
        return this;
    }

    /// <summary>Higher runs first (default 0).</summary>
    public Experiment Priority(int priority) => Top("priority", ToScalar(priority));

    /// <summary>A name for each trial, from its parameters, e.g. <c>"{dataset}-lr{lr}"</c> (shown by ls, show, compare).</summary>
    public Experiment TrialName(string template) => Top("trial_name", new ConfigScalar(template, true, Code));

    /// <summary>Finishes the definition with an asynchronous body; its return value becomes the trial's results.</summary>
    public ExperimentDefinition Run(Func<Trial, Task<object?>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var entries = new List<ConfigEntry>(_top);
        if (_params.Count > 0)
        {
            entries.Add(new ConfigEntry("params", Code, new ConfigMapping(_params.ToList(), Code)));
        }
        if (_linked.Count > 0)
        {
            entries.Add(new ConfigEntry("linked", Code, new ConfigSequence(_linked.ToList(), Code)));
        }
        if (_exclude.Count > 0)
        {
            entries.Add(new ConfigEntry("exclude", Code, new ConfigSequence(_exclude.ToList(), Code)));
        }
        if (_objectives.Count > 0)
        {
            entries.Add(new ConfigEntry("objectives", Code, new ConfigMapping(_objectives.ToList(), Code)));
        }
        if (_resources.Count > 0 || _resourceRules.Count > 0)
        {
            var resources = _resources.ToList();
            if (_resourceRules.Count > 0)
            {
                resources.Add(new ConfigEntry("when", Code, new ConfigSequence(_resourceRules.ToList(), Code)));
            }
            entries.Add(new ConfigEntry("resources", Code, new ConfigMapping(resources, Code)));
        }
        return new ExperimentDefinition(_name, new ConfigMapping(entries, Code), body);
    }

    /// <summary>Finishes the definition with a synchronous body.</summary>
    public ExperimentDefinition Run(Func<Trial, object?> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Run(trial => Task.FromResult(body(trial)));
    }

    /// <summary>Finishes the definition with a body that records results through <see cref="Trial.Result"/>.</summary>
    public ExperimentDefinition Run(Action<Trial> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Run(trial =>
        {
            body(trial);
            return Task.FromResult<object?>(null);
        });
    }
}
