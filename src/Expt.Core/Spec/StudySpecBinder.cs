using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>
/// Validates a configuration tree and builds a <see cref="StudySpec"/>. Every problem is collected, so the user
/// sees all of them at once, each with file, line, key and what was expected.
/// </summary>
public sealed partial class StudySpecBinder
{
    /// <summary>The top-level keys a study file may have.</summary>
    public static readonly IReadOnlyList<string> TopLevelKeys =
    [
        "name", "description", "tags", "command", "shell", "workdir", "experiment", "params", "linked", "points",
        "exclude", "where", "samples", "replications", "seed", "parallel", "timeout", "retries", "env", "system_info", "limits", "keep_children",
        "objectives", "trial_name", "resources", "priority", "race", "python", "executor",
    ];

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParamNamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableNamePattern();

    // The study is an empty table (points: []): an empty list declares a parameter filled later by expt add.
    private bool _table;

    // Where each parameter name was first declared, for the errors that compare names.
    private readonly Dictionary<string, SourceLocation> _nameLocations = new(StringComparer.Ordinal);

    private readonly List<SpecError> _errors = [];
    private readonly BindOptions _options;

    private StudySpecBinder(BindOptions options) => _options = options;

    /// <summary>Builds the spec or throws a <see cref="SpecException"/> listing every problem.</summary>
    public static StudySpec Bind(ConfigMapping root, BindOptions options)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        var binder = new StudySpecBinder(options);
        var spec = binder.BindRoot(root);
        if (binder._errors.Count > 0)
        {
            throw new SpecException(binder._errors);
        }
        return spec!;
    }

    /// <summary>True when <paramref name="name"/> is a valid study name (it names directories, so it is restricted).</summary>
    public static bool IsValidStudyName(string name) => NamePattern().IsMatch(name);

    private void Error(SourceLocation location, string key, string message) => _errors.Add(new SpecError(location, key, message));

    private T Error<T>(SourceLocation location, string key, string message, T fallback)
    {
        Error(location, key, message);
        return fallback;
    }

    private StudySpec? BindRoot(ConfigMapping root)
    {
        // x-NAME keys are the user's own (anchors to reuse with <<: *name), as in docker compose files.
        foreach (var entry in root.Entries.Where(e => !TopLevelKeys.Contains(e.Key) && !e.Key.StartsWith(ConfigComposer.UserKeyPrefix, StringComparison.Ordinal)))
        {
            var suggestion = Text.Suggestions.Closest(entry.Key, TopLevelKeys);
            Error(entry.KeyLocation, entry.Key, $"unknown key{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", TopLevelKeys)}");
        }

        var name = String(root, "name") ?? _options.DefaultName;
        if (name is null)
        {
            Error(root.Location, "name", "missing; expected a study name such as 'lr-sweep'");
        }
        else if (!IsValidStudyName(name))
        {
            Error(root.Find("name")?.Value.Location ?? root.Location, "name", $"'{name}' is not a valid study name; expected letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)");
        }

        var space = BindSpace(root, out var seed, out var declared);
        var samples = space.Samples;
        var retries = Int(root, "retries", 0, min: 0);
        var parallel = Parallel(root);
        var timeout = Duration(root, "timeout");
        var shell = Bool(root, "shell") ?? false;
        var systemInfo = Provenance.SystemInfoLevel.Basic;
        if (String(root, "system_info") is { } level)
        {
            systemInfo = level switch
            {
                "none" => Provenance.SystemInfoLevel.None,
                "basic" => Provenance.SystemInfoLevel.Basic,
                "full" => Provenance.SystemInfoLevel.Full,
                _ => Error(root.Find("system_info")!.Value.Location, "system_info", $"expected none, basic or full, got '{level}'", Provenance.SystemInfoLevel.Basic),
            };
        }
        var workdir = String(root, "workdir");
        if (workdir is not null && !Directory.Exists(Path.GetFullPath(workdir, _options.BaseDirectory)))
        {
            Error(root.Find("workdir")!.Value.Location, "workdir", $"no such directory: {InputLimits.Quote(Path.GetFullPath(workdir, _options.BaseDirectory))}");
        }
        var experiment = String(root, "experiment") ?? _options.DefaultExperiment;
        var commandText = String(root, "command");
        CommandTemplate? command = null;
        if (commandText is not null)
        {
            var location = root.Find("command")!.Value.Location;
            try
            {
                command = new CommandTemplate(commandText, shell);
                var named = declared.Concat(Prefixes(declared)).ToList();
                var known = named.Concat(named.Select(d => "params." + d)).Concat(CommandTemplate.BuiltIns).Concat(CommandTemplate.Aliases.Keys).ToHashSet(StringComparer.Ordinal);
                foreach (var placeholder in command.Placeholders.Where(p => !known.Contains(p)))
                {
                    var suggestion = Text.Suggestions.Closest(placeholder, known);
                    Error(location, "command", $"unknown placeholder {{{placeholder}}}{(suggestion is null ? string.Empty : $" (did you mean {{{suggestion}}}?)")}; expected a parameter name or one of {string.Join(", ", CommandTemplate.BuiltIns.Select(b => "{" + b + "}"))}");
                }
                // A parameter named like a built-in ('seed' is a common key field): the bare name could mean either.
                foreach (var placeholder in command.Placeholders.Where(p => CommandTemplate.BuiltIns.Contains(p) && declared.Contains(p)))
                {
                    var builtIn = CommandTemplate.Aliases.FirstOrDefault(a => a.Value == placeholder).Key is { } alias ? $"{{{alias}}} for the trial's {placeholder}" : $"$EXPT_{placeholder.ToUpperInvariant()} for the trial's {placeholder}";
                    Error(location, "command", $"{{{placeholder}}} is ambiguous: '{placeholder}' is a parameter and also a placeholder every trial has; write {{params.{placeholder}}} for the parameter or {builtIn}");
                }
                // Found now, not when the first trial fails to start: an argument or EXPT_PARAMS beyond what Linux passes.
                var paramsJson = space.Names.Sum(n => n.Length + LongestValue(space, n) + 8);
                if (paramsJson > ArgumentLimit)
                {
                    Error(root.Find("params")?.KeyLocation ?? location, "params", $"the parameters of one trial may take {paramsJson / 1024:N0} KiB, more than the 128 KiB one environment variable (EXPT_PARAMS) can carry; pass large inputs as file paths");
                }
                else if (command.LongestArgument(name => CommandTemplate.Resolve(name) switch
                {
                    (BuiltIn: "trial_dir", _) => 4096,
                    (BuiltIn: "params_json", _) => paramsJson,
                    (BuiltIn: "seed" or "replicate", _) => 20,
                    (BuiltIn: "trial_id", _) => 8,
                    (BuiltIn: "study", _) => InputLimits.MaxNameLength,
                    (_, Parameter: { } parameter) => LongestValue(space, parameter),
                    _ => 0,
                }) is var longest && longest > ArgumentLimit)
                {
                    Error(location, "command", $"an argument of this command may be {longest / 1024:N0} KiB long, more than the 128 KiB Linux passes in one argument; pass large inputs as file paths");
                }
                foreach (var (placeholder, where) in command.PlaceholdersReadAsCode())
                {
                    var resolved = CommandTemplate.Resolve(placeholder);
                    if (known.Contains(placeholder) && MayHoldCode(space, resolved.BuiltIn, resolved.Parameter) is { } value)
                    {
                        var variable = resolved.BuiltIn is "trial_dir" or "params_json" ? "EXPT_" + resolved.BuiltIn.ToUpperInvariant() : CommandTemplate.EnvironmentName(resolved.Parameter ?? resolved.BuiltIn!);
                        var fix = command.Shell
                            ? $"write it bare ({{{placeholder}}}: Expt quotes it) or use \"${variable}\""
                            : $"pass it as an argument of its own (sh -c '... \"$1\"' sh {{{placeholder}}}) or read \"${variable}\"";
                        Error(location, "command", $"placeholder {{{placeholder}}} {where}; a value such as {InputLimits.Quote(value)} would run as code there (only plain words may: letters, digits, _-.,/:=+@%); {fix}");
                    }
                }
            }
            catch (FormatException ex)
            {
                Error(location, "command", ex.Message);
            }
        }
        if (root.Find("experiment") is { } experimentEntry && _options.KnownExperiments is { } knownExperiments && experiment is not null && !knownExperiments.Contains(experiment))
        {
            Error(experimentEntry.Value.Location, "experiment", $"no experiment named '{experiment}'; this program has: {(knownExperiments.Count == 0 ? "none" : string.Join(", ", knownExperiments))}");
        }
        var python = BindPython(root, Path.GetFullPath(workdir ?? ".", _options.BaseDirectory));
        if (commandText is null && experiment is null && root.Find("python") is null)
        {
            Error(root.Location, "command", "missing; expected 'command' (the command line each trial runs), 'python' (a Python function each trial calls, such as train:main) or 'experiment' (a C# experiment of the hosting program)");
        }
        if (commandText is not null && root.Find("experiment") is not null)
        {
            Error(root.Find("experiment")!.KeyLocation, "experiment", "a study runs either a 'command' or a C# 'experiment', not both");
        }
        if (root.Find("python") is { } pythonEntry && (commandText is not null || root.Find("experiment") is not null))
        {
            Error(pythonEntry.KeyLocation, "python", $"a study runs one of 'command', 'python' and 'experiment'; this one also has '{(commandText is not null ? "command" : "experiment")}'");
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.Find("env") is { } envEntry)
        {
            if (envEntry.Value is ConfigMapping envMap)
            {
                foreach (var e in envMap.Entries)
                {
                    if (!VariableNamePattern().IsMatch(e.Key))
                    {
                        Error(e.KeyLocation, "env." + InputLimits.Quote(e.Key), "not a valid environment variable name; expected letters, digits and '_', not starting with a digit");
                    }
                    else if (e.Value is ConfigScalar s)
                    {
                        if (CheckText(s.Text, s.Location, "env." + e.Key))
                        {
                            env[e.Key] = s.Text;
                        }
                    }
                    else
                    {
                        Error(e.Value.Location, "env." + e.Key, "expected a scalar value");
                    }
                }
            }
            else
            {
                Error(envEntry.Value.Location, "env", "expected a mapping of variable names to values");
            }
        }

        var objectives = BindObjectives(root);
        var (replications, adaptive) = BindReplications(root, objectives);
        var trialName = BindTrialName(root, declared);
        var resources = BindResources(root, declared);
        // Trials are what cost, not points: 1,000 points × 1,000,000 replications is a billion trials.
        var perPoint = adaptive?.MaxReplicates ?? replications;
        var trials = space.EstimatedSize * perPoint;
        if (trials > _options.TrialLimit && !_options.AllowLarge)
        {
            var shape = $"{space.EstimatedSize:N0} {(space.EstimatedSize == 1 ? "point" : "points")} × {perPoint:N0} {(adaptive is null ? (perPoint == 1 ? "replication" : "replications") : "replicates at most")} = {trials:N0} trials";
            Error(root.Find("replications")?.KeyLocation ?? root.Find("params")?.KeyLocation ?? root.Location, "params", $"the study has {shape}, more than the limit of {_options.TrialLimit:N0} trials; pass --yes to run it anyway");
        }

        if (_errors.Count > 0)
        {
            return null;
        }
        return new StudySpec
        {
            Name = name!,
            Description = String(root, "description"),
            Tags = Tags(root),
            Command = command,
            Python = python,
            Executor = BindExecutor(root),
            Experiment = commandText is null && python is null ? experiment : null,
            WorkDir = Path.GetFullPath(workdir ?? ".", _options.BaseDirectory),
            Space = space with { Samples = samples },
            Replications = replications,
            Adaptive = adaptive,
            Seed = seed,
            Parallel = parallel,
            Timeout = timeout,
            Retries = retries,
            Env = env,
            SystemInfo = systemInfo,
            Limits = Limits(root),
            KeepChildren = Bool(root, "keep_children") ?? false,
            Objectives = objectives,
            TrialName = trialName,
            Resources = resources,
        };
    }

    private Analysis.Objectives BindObjectives(ConfigMapping root)
    {
        if (root.Find("objectives") is not { } entry)
        {
            return Analysis.Objectives.None;
        }
        const string Example = "e.g. objectives: {loss: minimize, accuracy: maximize}";
        if (entry.Value is not ConfigMapping map || map.Entries.Count == 0)
        {
            Error(entry.Value.Location, "objectives", $"expected a mapping of result names to minimize or maximize, {Example}");
            return Analysis.Objectives.None;
        }
        var items = new List<Analysis.Objective>();
        foreach (var e in map.Entries)
        {
            if (!ParamNamePattern().IsMatch(e.Key) || e.Key.Length > InputLimits.MaxNameLength)
            {
                Error(e.KeyLocation, "objectives." + InputLimits.Quote(e.Key), "not a valid result name; expected letters, digits, '_', '-' and '.'");
            }
            else if (e.Value is ConfigScalar scalar && Analysis.Objective.ParseGoal(scalar.Text) is { } goal)
            {
                items.Add(new Analysis.Objective(e.Key, goal));
            }
            else
            {
                var got = e.Value is ConfigScalar s ? $"'{InputLimits.Quote(s.Text)}'" : "a list or mapping";
                Error(e.Value.Location, "objectives." + e.Key, $"expected minimize or maximize, got {got}");
            }
        }
        return new Analysis.Objectives(items);
    }

    private string? BindTrialName(ConfigMapping root, IReadOnlySet<string> declared)
    {
        if (String(root, "trial_name") is not { } template)
        {
            return null;
        }
        var location = root.Find("trial_name")!.Value.Location;
        if (template.Length > InputLimits.MaxNameLength)
        {
            Error(location, "trial_name", $"the template is {template.Length} characters long; expected at most {InputLimits.MaxNameLength}");
            return null;
        }
        try
        {
            var parsed = new CommandTemplate(template, shell: true);
            var known = declared.Concat(declared.Select(d => "params." + d)).Concat(TrialNames.BuiltIns).Concat(CommandTemplate.Aliases.Keys).ToHashSet(StringComparer.Ordinal);
            foreach (var placeholder in parsed.Placeholders.Where(p => !known.Contains(p)))
            {
                var suggestion = Text.Suggestions.Closest(placeholder, known);
                Error(location, "trial_name", $"unknown placeholder {{{placeholder}}}{(suggestion is null ? string.Empty : $" (did you mean {{{suggestion}}}?)")}; expected a parameter name or one of {string.Join(", ", TrialNames.BuiltIns.Select(b => "{" + b + "}"))}");
            }
            if (parsed.Placeholders.Contains("sample") && !declared.Contains("sample") && root.Find("adaptive") is not null)
            {
                Error(location, "trial_name", "{sample} is not known for the replicates an adaptive study adds; use {point}, the point's index, which every trial of a point shares");
            }
            foreach (var placeholder in parsed.Placeholders.Where(p => TrialNames.BuiltIns.Contains(p) && !TrialNames.Yielding.Contains(p) && declared.Contains(p)))
            {
                Error(location, "trial_name", $"{{{placeholder}}} is ambiguous: '{placeholder}' is a parameter and also a placeholder every trial has; write {{params.{placeholder}}} for the parameter");
            }
        }
        catch (FormatException ex)
        {
            Error(location, "trial_name", ex.Message);
        }
        return template;
    }

    // {optim} stands for the nested object of optim.lr and optim.name (an axis of mappings, or nested params).
    private static IEnumerable<string> Prefixes(IEnumerable<string> names) =>
        names.SelectMany(n => n.Select((c, i) => c == '.' ? n[..i] : null).OfType<string>()).Distinct(StringComparer.Ordinal);

    // executor: wrap, or executor: {kind: wrap, with: "ssh gpu1"}: a kind a plugin registers, and its options as text.
    // The kind is checked when the executor is made (plugins are loaded by the program that runs the study).
    private ExecutorChoice? BindExecutor(ConfigMapping root)
    {
        if (root.Find("executor") is not { } entry)
        {
            return null;
        }
        const string Example = "expected a kind a plugin registers, or a mapping such as {kind: wrap, with: \"ssh gpu1\"}";
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string? kind = null;
        switch (entry.Value)
        {
            case ConfigScalar s:
                kind = s.Text;
                break;
            case ConfigMapping map:
                foreach (var option in map.Entries)
                {
                    if (option.Value is not ConfigScalar value)
                    {
                        Error(option.Value.Location, $"executor.{option.Key}", "expected a single value (text the plugin reads)");
                        continue;
                    }
                    if (option.Key == "kind")
                    {
                        kind = value.Text;
                    }
                    else
                    {
                        options[option.Key] = value.Text;
                    }
                }
                break;
            default:
                Error(entry.Value.Location, "executor", Example);
                return null;
        }
        if (kind is null || !ExecutorKindPattern().IsMatch(kind))
        {
            Error(entry.Value.Location, "executor.kind", kind is null ? "missing; " + Example : $"'{InputLimits.Quote(kind)}' is not a kind; expected lower-case letters, digits and '-'");
            return null;
        }
        return new ExecutorChoice(kind, options);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ExecutorKindPattern();
}
