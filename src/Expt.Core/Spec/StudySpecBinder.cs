using System.Text.RegularExpressions;
using Expt.Expressions;

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
        "objectives", "trial_name",
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
        foreach (var entry in root.Entries.Where(e => !TopLevelKeys.Contains(e.Key)))
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
        var replications = Int(root, "replications", 1, min: 1);
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
                var known = declared.Concat(declared.Select(d => "params." + d)).Concat(CommandTemplate.BuiltIns).Concat(CommandTemplate.Aliases.Keys).ToHashSet(StringComparer.Ordinal);
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
                foreach (var (placeholder, where) in command.PlaceholdersReadAsCode().Distinct())
                {
                    var resolved = CommandTemplate.Resolve(placeholder);
                    if (known.Contains(placeholder) && MayHoldText(space, resolved.BuiltIn, resolved.Parameter))
                    {
                        var variable = resolved.BuiltIn is "trial_dir" or "params_json" ? "EXPT_" + resolved.BuiltIn.ToUpperInvariant() : CommandTemplate.EnvironmentName(resolved.Parameter ?? resolved.BuiltIn!);
                        var fix = command.Shell
                            ? $"write it bare ({{{placeholder}}}: Expt quotes it) or use \"${variable}\""
                            : $"pass it as an argument after the script (sh -c '... \"$1\"' sh {{{placeholder}}}) or read \"${variable}\"";
                        Error(location, "command", $"placeholder {{{placeholder}}} {where}: its values are pasted into shell code, so a value such as $(rm -rf ~) would run; {fix}");
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
        if (commandText is null && experiment is null)
        {
            Error(root.Location, "command", "missing; expected 'command' (the command line each trial runs) or 'experiment' (a C# experiment of the hosting program)");
        }
        if (commandText is not null && root.Find("experiment") is not null)
        {
            Error(root.Find("experiment")!.KeyLocation, "experiment", "a study runs either a 'command' or a C# 'experiment', not both");
        }
        if (space.EstimatedSize > _options.PointLimit && !_options.AllowLarge)
        {
            Error(root.Find("params")?.KeyLocation ?? root.Location, "params", $"the space has {space.EstimatedSize:N0} points, more than the limit of {_options.PointLimit:N0}; pass --yes to run it anyway");
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
        var trialName = BindTrialName(root, declared);

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
            Experiment = commandText is null ? experiment : null,
            WorkDir = Path.GetFullPath(workdir ?? ".", _options.BaseDirectory),
            Space = space with { Samples = samples },
            Replications = replications,
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
            var known = declared.Concat(declared.Select(d => "params." + d)).Concat(TrialNames.BuiltIns).ToHashSet(StringComparer.Ordinal);
            foreach (var placeholder in parsed.Placeholders.Where(p => !known.Contains(p)))
            {
                var suggestion = Text.Suggestions.Closest(placeholder, known);
                Error(location, "trial_name", $"unknown placeholder {{{placeholder}}}{(suggestion is null ? string.Empty : $" (did you mean {{{suggestion}}}?)")}; expected a parameter name or one of {string.Join(", ", TrialNames.BuiltIns.Select(b => "{" + b + "}"))}");
            }
            foreach (var placeholder in parsed.Placeholders.Where(p => TrialNames.BuiltIns.Contains(p) && declared.Contains(p)))
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

    private ParamSpace BindSpace(ConfigMapping root, out long seed, out IReadOnlySet<string> declared)
    {
        seed = Long(root, "seed", 0);
        var axes = new List<ParamAxis>();
        var random = new List<KeyValuePair<string, Distribution>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        // points: [] is a table to fill with expt add; its parameters may be declared as empty lists (its columns).
        _table = root.Find("points") is { Value: ConfigSequence { Items.Count: 0 } };
        if (root.Find("params") is { } paramsEntry)
        {
            if (paramsEntry.Value is ConfigMapping map)
            {
                BindParams(map, string.Empty, axes, random, names);
            }
            else if (!(paramsEntry.Value is ConfigScalar { Text: "" }))
            {
                Error(paramsEntry.Value.Location, "params", "expected a mapping of parameter names to values, lists or sweep expressions");
            }
        }

        if (root.Find("linked") is { } linkedEntry)
        {
            var groups = linkedEntry.Value switch
            {
                ConfigSequence seq => seq.Items,
                ConfigMapping m => [m],
                _ => null,
            };
            if (groups is null)
            {
                Error(linkedEntry.Value.Location, "linked", "expected a list of groups, each a mapping of names to lists of equal length");
            }
            else
            {
                for (var g = 0; g < groups.Count; g++)
                {
                    BindLinked(groups[g], $"linked[{g}]", axes, names);
                }
            }
        }

        var points = new List<ParamSet>();
        var pointsOnly = false;
        if (root.Find("points") is { } pointsEntry)
        {
            if (pointsEntry.Value is ConfigSequence { Items.Count: 0 })
            {
                // An empty table, to be filled with expt add: PyExperimenter's workflow.
                pointsOnly = true;
            }
            else if (pointsEntry.Value is ConfigSequence seq)
            {
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    if (seq.Items[i] is ConfigMapping pm)
                    {
                        var values = new List<KeyValuePair<string, object?>>();
                        FlattenScalars(pm, string.Empty, $"points[{i}]", values);
                        points.Add(new ParamSet(values));
                    }
                    else
                    {
                        Error(seq.Items[i].Location, $"points[{i}]", "expected a mapping of parameter names to values, e.g. {lr: 0.1, bs: 16}");
                    }
                }
            }
            else
            {
                Error(pointsEntry.Value.Location, "points", "expected a list of points, e.g. [{lr: 0.1, bs: 16}], or [] for a study filled later with expt add");
            }
        }

        var allNames = names.Concat(points.SelectMany(p => p.Names)).ToHashSet(StringComparer.Ordinal);
        declared = allNames;
        foreach (var name in allNames)
        {
            // 'model' and 'model.depth' cannot both be values: trials get parameters as nested JSON.
            for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = name.IndexOf('.', dot + 1))
            {
                var parent = name[..dot];
                if (allNames.Contains(parent))
                {
                    Error(_nameLocations.GetValueOrDefault(name, root.Location), "params." + name, $"nests under '{parent}', which is a parameter with a value itself; rename one of them");
                }
            }
        }
        var exclude = new List<IReadOnlyDictionary<string, IReadOnlyList<object?>>>();
        if (root.Find("exclude") is { } excludeEntry)
        {
            var rules = excludeEntry.Value switch
            {
                ConfigSequence seq => seq.Items,
                ConfigMapping m => [m],
                _ => null,
            };
            if (rules is null)
            {
                Error(excludeEntry.Value.Location, "exclude", "expected a list of rules, each a mapping such as {optimizer: sgd, lr: 0.1}");
            }
            else
            {
                for (var r = 0; r < rules.Count; r++)
                {
                    if (rules[r] is not ConfigMapping rule)
                    {
                        Error(rules[r].Location, $"exclude[{r}]", "expected a mapping such as {optimizer: sgd, lr: 0.1}");
                        continue;
                    }
                    var values = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
                    foreach (var e in rule.Entries)
                    {
                        if (!allNames.Contains(e.Key))
                        {
                            Error(e.KeyLocation, $"exclude[{r}].{e.Key}", $"not a parameter; expected one of: {string.Join(", ", allNames)}");
                        }
                        values[e.Key] = e.Value switch
                        {
                            ConfigScalar s => [s.Value],
                            ConfigSequence s => s.Items.OfType<ConfigScalar>().Select(i => i.Value).ToList(),
                            _ => [],
                        };
                    }
                    exclude.Add(values);
                }
            }
        }

        WhereExpression? where = null;
        if (String(root, "where") is { } whereText)
        {
            var location = root.Find("where")!.Value.Location;
            try
            {
                where = WhereExpression.Parse(whereText);
                foreach (var unknown in where.Names.Where(n => !allNames.Contains(n)))
                {
                    Error(location, "where", $"'{unknown}' is not a parameter; expected one of: {string.Join(", ", allNames)}");
                }
            }
            catch (FormatException ex)
            {
                Error(location, "where", ex.Message);
            }
        }

        var samples = 1;
        if (root.Find("samples") is { } samplesEntry)
        {
            samples = Int(root, "samples", 1, min: 1);
            if (random.Count == 0)
            {
                Error(samplesEntry.KeyLocation, "samples", "random search needs at least one parameter with a distribution (uniform, loguniform, normal, int or choice)");
            }
        }
        else if (random.Count > 0)
        {
            Error(root.Find("params")!.KeyLocation, "samples", $"missing; parameters with distributions ({string.Join(", ", random.Select(r => r.Key))}) need 'samples: N' draws");
        }
        var space = new ParamSpace { Axes = axes, Points = points, PointsOnly = pointsOnly, Random = random, Samples = samples, Exclude = exclude, Where = where };
        // A filter that removes every point is a mistake, not an empty study; check it when the space is small
        // enough to expand here (a larger one is checked when its plan is made).
        if (_errors.Count == 0 && !pointsOnly && (exclude.Count > 0 || where is not null) && space.EstimatedSize <= 100_000 && space.Expand(seed).Count == 0)
        {
            var filter = root.Find("where") ?? root.Find("exclude")!;
            Error(filter.KeyLocation, filter.Key, "exclude and where remove every point of the space: nothing would run");
        }
        return space;
    }

    private void BindParams(ConfigMapping map, string prefix, List<ParamAxis> axes, List<KeyValuePair<string, Distribution>> random, HashSet<string> names)
    {
        foreach (var entry in map.Entries)
        {
            var name = prefix + entry.Key;
            var key = "params." + name;
            if (entry.Value is ConfigMapping nested)
            {
                BindParams(nested, name + ".", axes, random, names);
                continue;
            }
            if (!CheckName(name, entry.KeyLocation, key))
            {
                continue;
            }
            if (!names.Add(name))
            {
                Error(entry.KeyLocation, key, "parameter defined twice");
                continue;
            }
            var values = Values(entry.Value, key, out var distribution);
            if (distribution is not null)
            {
                random.Add(new(name, distribution));
            }
            else if (values is not null)
            {
                axes.Add(ParamAxis.Single(name, values));
            }
        }
    }

    private void BindLinked(ConfigNode node, string key, List<ParamAxis> axes, HashSet<string> names)
    {
        if (node is not ConfigMapping group || group.Entries.Count == 0)
        {
            Error(node.Location, key, "expected a mapping of names to lists of equal length, e.g. {lr: [0.1, 0.01], warmup: [10, 100]}");
            return;
        }
        var columns = new List<(string Name, IReadOnlyList<object?> Values, ConfigEntry Entry)>();
        foreach (var entry in group.Entries)
        {
            if (!CheckName(entry.Key, entry.KeyLocation, $"{key}.{entry.Key}"))
            {
                continue;
            }
            if (!names.Add(entry.Key))
            {
                Error(entry.KeyLocation, $"{key}.{entry.Key}", "parameter defined twice (it is also in params or another linked group)");
                continue;
            }
            var values = Values(entry.Value, $"{key}.{entry.Key}", out var distribution);
            if (distribution is not null)
            {
                Error(entry.Value.Location, $"{key}.{entry.Key}", "linked parameters take lists, not distributions");
            }
            else if (values is not null)
            {
                columns.Add((entry.Key, values, entry));
            }
        }
        if (columns.Count == 0)
        {
            return;
        }
        var length = columns[0].Values.Count;
        foreach (var column in columns.Where(c => c.Values.Count != length))
        {
            Error(column.Entry.Value.Location, $"{key}.{column.Name}", $"has {column.Values.Count} values but {columns[0].Name} has {length}; linked lists must have the same length");
        }
        if (columns.All(c => c.Values.Count == length))
        {
            var rows = Enumerable.Range(0, length).Select(i => (IReadOnlyList<object?>)columns.Select(c => ParamValues.Normalize(c.Values[i])).ToList()).ToList();
            axes.Add(new ParamAxis(columns.Select(c => c.Name).ToList(), rows));
        }
    }

    private IReadOnlyList<object?>? Values(ConfigNode node, string key, out Distribution? distribution)
    {
        distribution = null;
        switch (node)
        {
            case ConfigScalar { Quoted: false } s when SweepExpression.LooksLikeExpression(s.Text):
                if (SweepExpression.TryParse(s.Text, out var values, out distribution, out var error))
                {
                    return values;
                }
                Error(s.Location, key, error!);
                return null;
            case ConfigScalar s:
                var before = _errors.Count;
                var value = ScalarValue(s, key);
                return _errors.Count > before ? null : [value];
            case ConfigSequence { Items.Count: 0 } when _table:
                return [];
            case ConfigSequence seq when seq.Items.Count == 0:
                Error(seq.Location, key, "empty list; expected at least one value (or, with points: [], a column filled by expt add)");
                return null;
            case ConfigSequence seq:
                var list = new List<object?>();
                foreach (var item in seq.Items)
                {
                    if (item is ConfigScalar s)
                    {
                        var errors = _errors.Count;
                        var itemValue = ScalarValue(s, key);
                        if (_errors.Count > errors)
                        {
                            return null;
                        }
                        list.Add(itemValue);
                    }
                    else
                    {
                        Error(item.Location, key, "expected a list of scalar values (numbers, strings, booleans)");
                        return null;
                    }
                }
                return list;
            default:
                Error(node.Location, key, "expected a value, a list or a sweep expression");
                return null;
        }
    }

    private void FlattenScalars(ConfigMapping map, string prefix, string key, List<KeyValuePair<string, object?>> values)
    {
        foreach (var entry in map.Entries)
        {
            var name = prefix + entry.Key;
            switch (entry.Value)
            {
                case ConfigMapping nested: FlattenScalars(nested, name + ".", key, values); break;
                case ConfigScalar s:
                    if (CheckName(name, entry.KeyLocation, $"{key}.{name}"))
                    {
                        values.Add(new(name, ScalarValue(s, $"{key}.{name}")));
                    }
                    break;
                default: Error(entry.Value.Location, $"{key}.{name}", "expected a single value in an explicit point"); break;
            }
        }
    }

    /// <summary>What Linux passes in one argument or environment variable (MAX_ARG_STRLEN), less room for the name.</summary>
    private const int ArgumentLimit = (128 * 1024) - 64;

    /// <summary>The longest a parameter's value can print (numbers of random draws print in at most 30 characters).</summary>
    private static long LongestValue(ParamSpace space, string name)
    {
        long longest = 0;
        foreach (var axis in space.Axes)
        {
            var column = axis.Names.ToList().IndexOf(name);
            if (column >= 0)
            {
                longest = Math.Max(longest, axis.Rows.Select(r => (long)ParamValues.Format(r[column]).Length).DefaultIfEmpty(0).Max());
            }
        }
        foreach (var point in space.Points)
        {
            if (point.TryGetValue(name, out var value))
            {
                longest = Math.Max(longest, ParamValues.Format(value).Length);
            }
        }
        foreach (var (key, distribution) in space.Random.Where(r => r.Key == name))
        {
            longest = Math.Max(longest, distribution is Distribution.Choice choice ? choice.Options.Max(o => (long)ParamValues.Format(o).Length) : 30);
        }
        return longest;
    }

    /// <summary>True when a placeholder may be replaced by text that is not a number (and could hold shell syntax).</summary>
    private static bool MayHoldText(ParamSpace space, string? builtIn, string? name)
    {
        static bool Text(object? value) => value is string;
        switch (builtIn)
        {
            case "seed" or "replicate" or "trial_id" or "study":
                return false; // numbers, hex, and names restricted to [A-Za-z0-9._-]
            case "trial_dir" or "params_json":
                return true;
        }
        if (name is null)
        {
            return false;
        }
        foreach (var axis in space.Axes)
        {
            var column = axis.Names.ToList().IndexOf(name);
            if (column >= 0 && axis.Rows.Any(r => Text(r[column])))
            {
                return true;
            }
        }
        return space.Points.Any(p => p.TryGetValue(name, out var v) && Text(v))
            || space.Random.Any(r => r.Key == name && r.Value is Distribution.Choice choice && choice.Options.Any(Text));
    }

    /// <summary>False (with an error) for text no command line or environment can carry, or too long to pass.</summary>
    private bool CheckText(string text, SourceLocation location, string key, int max = InputLimits.MaxValueChars)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            Error(location, key, "contains a NUL character, which no command line or environment variable can carry");
            return false;
        }
        if (text.Length > max)
        {
            Error(location, key, $"is {text.Length:N0} characters long, more than the limit of {max:N0}; pass a large input as a file path");
            return false;
        }
        return true;
    }

    /// <summary>The typed value of a scalar, or null with an error when it cannot be one.</summary>
    private object? ScalarValue(ConfigScalar scalar, string key)
    {
        if (!CheckText(scalar.Text, scalar.Location, key))
        {
            return null;
        }
        if (!scalar.Quoted && ScalarResolver.RangeError(scalar.Text) is { } range)
        {
            Error(scalar.Location, key, range);
            return null;
        }
        return scalar.Value;
    }

    /// <summary>False (with an error) unless <paramref name="name"/> is a valid parameter name; records where it was declared.</summary>
    private bool CheckName(string name, SourceLocation location, string key)
    {
        if (name.Length > InputLimits.MaxNameLength || name.Count(c => c == '.') >= InputLimits.MaxNameParts)
        {
            Error(location, InputLimits.Quote(key), $"parameter name too long; expected at most {InputLimits.MaxNameLength} characters and {InputLimits.MaxNameParts} dotted parts");
            return false;
        }
        if (!ParamNamePattern().IsMatch(name))
        {
            Error(location, key, "not a valid parameter name; expected letters, digits, '_' or '-', with '.' between parts");
            return false;
        }
        _nameLocations.TryAdd(name, location);
        return true;
    }

    private ConfigScalar? Scalar(ConfigMapping root, string key)
    {
        var entry = root.Find(key);
        if (entry is null)
        {
            return null;
        }
        if (entry.Value is ConfigScalar scalar)
        {
            return scalar;
        }
        Error(entry.Value.Location, key, "expected a single value, not a list or mapping");
        return null;
    }

    private string? String(ConfigMapping root, string key)
    {
        var scalar = Scalar(root, key);
        if (scalar is null)
        {
            return null;
        }
        if (scalar.Text.Length == 0 && !scalar.Quoted)
        {
            Error(scalar.Location, key, "empty; expected a value");
            return null;
        }
        var max = key switch
        {
            "command" => InputLimits.MaxCommandChars,
            "where" => InputLimits.MaxExpressionChars,
            _ => InputLimits.MaxValueChars,
        };
        return CheckText(scalar.Text, scalar.Location, key, max) ? scalar.Text : null;
    }

    private bool? Bool(ConfigMapping root, string key)
    {
        var scalar = Scalar(root, key);
        if (scalar is null)
        {
            return null;
        }
        if (scalar.Value is bool b)
        {
            return b;
        }
        Error(scalar.Location, key, $"expected true or false, got '{scalar.Text}'");
        return null;
    }

    private long Long(ConfigMapping root, string key, long fallback)
    {
        var scalar = Scalar(root, key);
        if (scalar is null)
        {
            return fallback;
        }
        if (scalar.Value is long l)
        {
            return l;
        }
        Error(scalar.Location, key, $"expected an integer, got {ParamValues.TypeName(scalar.Value)} '{scalar.Text}'");
        return fallback;
    }

    private int Int(ConfigMapping root, string key, int fallback, int min)
    {
        var scalar = Scalar(root, key);
        if (scalar is null)
        {
            return fallback;
        }
        if (scalar.Value is long l && l >= min && l <= int.MaxValue)
        {
            return (int)l;
        }
        Error(scalar.Location, key, $"expected an integer of at least {min}, got '{scalar.Text}'");
        return fallback;
    }

    private int Parallel(ConfigMapping root)
    {
        var scalar = Scalar(root, "parallel");
        if (scalar is null || scalar.Text == "auto" || scalar.Value is null)
        {
            return 0;
        }
        if (scalar.Value is long l and >= -InputLimits.MaxParallel and <= InputLimits.MaxParallel)
        {
            return (int)l;
        }
        Error(scalar.Location, "parallel", $"expected auto, a number of trials at once up to {InputLimits.MaxParallel}, 0 for one per core, or a negative number (-1 all cores, -2 all but one), got '{InputLimits.Quote(scalar.Text)}'");
        return 0;
    }

    private TimeSpan? Duration(ConfigMapping root, string key)
    {
        var scalar = Scalar(root, key);
        if (scalar is null || scalar.Value is null)
        {
            return null;
        }
        if (DurationParser.TryParse(scalar.Text, out var d) && d > TimeSpan.Zero && d <= InputLimits.MaxDuration)
        {
            return d;
        }
        Error(scalar.Location, key, $"expected a positive duration of at most {DurationParser.Format(InputLimits.MaxDuration)} such as 30s, 10m or 2h, got '{InputLimits.Quote(scalar.Text)}'");
        return null;
    }

    private Execution.TrialLimits Limits(ConfigMapping root)
    {
        var limits = new Execution.TrialLimits();
        if (root.Find("limits") is not { } entry)
        {
            return limits;
        }
        if (entry.Value is not ConfigMapping map)
        {
            return Error(entry.Value.Location, "limits", "expected a mapping such as {results: 64M}", limits);
        }
        foreach (var e in map.Entries)
        {
            if (e.Key != "results")
            {
                Error(e.KeyLocation, "limits." + InputLimits.Quote(e.Key), "unknown limit; expected results (the largest results file of a trial, e.g. 64M)");
            }
            else if (e.Value is ConfigScalar s && ByteSizeParser.TryParse(s.Text, out var bytes) && bytes >= 1024 && bytes <= 1L << 30)
            {
                limits = limits with { MaxResultsBytes = bytes };
            }
            else
            {
                Error(e.Value.Location, "limits.results", $"expected a size from 1K to 1G such as 16M, got '{InputLimits.Quote((e.Value as ConfigScalar)?.Text ?? "a collection")}'");
            }
        }
        return limits;
    }

    private List<string> Tags(ConfigMapping root)
    {
        var entry = root.Find("tags");
        var items = entry?.Value switch
        {
            null => [],
            ConfigScalar { Text.Length: 0 } => [],
            ConfigScalar s => [s],
            ConfigSequence seq => seq.Items,
            var other => Error<IReadOnlyList<ConfigNode>>(other.Location, "tags", "expected a list of tags such as [baseline, gpu]", []),
        };
        var tags = new List<string>();
        foreach (var item in items)
        {
            if (item is ConfigScalar { Value: not null } tag && CheckText(tag.Text, tag.Location, "tags", InputLimits.MaxNameLength))
            {
                tags.Add(tag.Text);
            }
            else if (item is not ConfigScalar { Value: not null })
            {
                Error(item.Location, "tags", "expected each tag to be a word such as baseline, not a list, a mapping or nothing");
            }
        }
        return tags;
    }
}
