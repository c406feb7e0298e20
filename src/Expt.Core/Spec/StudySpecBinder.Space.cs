using Expt.Expressions;

namespace Expt.Spec;

// The parameter space: params, linked groups, points, exclude, where, samples, and the checks across them.
public sealed partial class StudySpecBinder
{
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
                            ConfigSequence s => s.Items.Select(i => i is ConfigScalar scalar ? scalar.Value : CompositeValue(i, $"exclude[{r}].{e.Key}")).ToList(),
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
            if (entry.Value is ConfigSequence { Items.Count: > 0 } options && options.Items.Any(i => i is ConfigMapping))
            {
                BindMappings(options, name, key, axes, names);
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

    // optim: [{name: adam, lr: 0.1}, {name: sgd}] is an axis of mappings: a linked group of optim.name and optim.lr
    // (a key one mapping lacks is null there), so each trial gets optim as one JSON object and its keys stay those of
    // nested parameters.
    private void BindMappings(ConfigSequence options, string name, string key, List<ParamAxis> axes, HashSet<string> names)
    {
        var rows = new List<Dictionary<string, object?>>();
        var columns = new List<string>();
        for (var i = 0; i < options.Items.Count; i++)
        {
            if (options.Items[i] is not ConfigMapping mapping)
            {
                Error(options.Items[i].Location, $"{key}[{i}]", "expected a mapping like the other items (a list of mappings is an axis of mapping values)");
                return;
            }
            var values = new List<KeyValuePair<string, object?>>();
            FlattenScalars(mapping, name + ".", $"{key}[{i}]", values);
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (column, value) in values)
            {
                row[column] = value;
                if (!columns.Contains(column))
                {
                    columns.Add(column);
                }
            }
            rows.Add(row);
        }
        foreach (var column in columns)
        {
            if (!names.Add(column))
            {
                Error(options.Location, "params." + column, "parameter defined twice");
                return;
            }
        }
        if (columns.Count == 0)
        {
            Error(options.Location, key, "expected mappings with at least one key");
            return;
        }
        axes.Add(new ParamAxis(columns, rows.Select(r => (IReadOnlyList<object?>)columns.Select(c => r.GetValueOrDefault(c)).ToList()).ToList()));
    }

    /// <summary>A value inside a list-valued parameter: a scalar, a list or a mapping, to any depth the reader allows.</summary>
    private object? CompositeValue(ConfigNode node, string key) => node switch
    {
        ConfigScalar s => ScalarValue(s, key),
        ConfigSequence seq => new ParamList(seq.Items.Select((item, i) => CompositeValue(item, $"{key}[{i}]")).ToList()),
        ConfigMapping map => new ParamMap(map.Entries.Select(e => KeyValuePair.Create(e.Key, CompositeValue(e.Value, $"{key}.{e.Key}"))).ToList()),
        _ => null,
    };

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
                    else if (item is ConfigSequence)
                    {
                        // hidden_layers: [[64, 32], [128, 64, 32]]: an axis whose values are lists.
                        var errors = _errors.Count;
                        var listValue = CompositeValue(item, key);
                        if (_errors.Count > errors)
                        {
                            return null;
                        }
                        list.Add(listValue);
                    }
                    else
                    {
                        Error(item.Location, key, "expected a list of values (numbers, strings, booleans, or lists for a list-valued parameter)");
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
                case ConfigSequence list:
                    if (CheckName(name, entry.KeyLocation, $"{key}.{name}"))
                    {
                        values.Add(new(name, CompositeValue(list, $"{key}.{name}")));
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
    /// <summary>
    /// A value of a placeholder that is not a plain word (so, where code is read, would be code), or null when every
    /// value is one. The built-ins trial_dir (a path) and params_json (JSON) are never plain words.
    /// </summary>
    private static string? MayHoldCode(ParamSpace space, string? builtIn, string? name)
    {
        static bool Code(object? value) => value is string text && !CommandTemplate.IsPlainWord(text);
        switch (builtIn)
        {
            case "seed" or "replicate" or "trial_id" or "study":
                return null; // numbers, hex, and names restricted to [A-Za-z0-9._-]
            case "trial_dir":
                return "/path with spaces/$(...)";
            case "params_json":
                return "{\"x\": \"$(...)\"}";
        }
        if (name is null)
        {
            return null;
        }
        foreach (var axis in space.Axes)
        {
            var column = axis.Names.ToList().IndexOf(name);
            if (column >= 0 && axis.Rows.Select(r => r[column]).FirstOrDefault(Code) is string text)
            {
                return text;
            }
        }
        return space.Points.Select(p => p.TryGetValue(name, out var v) ? v : null).FirstOrDefault(Code) as string
            ?? space.Random.Where(r => r.Key == name && r.Value is Distribution.Choice).SelectMany(r => ((Distribution.Choice)r.Value).Options).FirstOrDefault(Code) as string;
    }
}
