namespace Expt.Spec;

/// <summary>
/// Applies <c>--set</c> overrides to a configuration tree, in Hydra's grammar:
/// <list type="bullet">
/// <item><c>key=value</c> changes a study key (replications, seed, timeout...) or a parameter the study already has
/// (dotted names reach nested parameters; <c>params.key</c> names the parameter, <c>study.key</c> the study key,
/// when a parameter shares a study key's name). A key the study does not have is an error with a suggestion.</item>
/// <item><c>+key=value</c> adds a parameter (an error when it exists); <c>++key=value</c> adds or changes one.</item>
/// <item><c>~key</c> removes a parameter, or a study key back to its default.</item>
/// </list>
/// A value with commas (<c>lr=0.1,0.2</c>) or in brackets becomes a list, so an override can turn a fixed value into
/// a sweep axis; <c>lr=range(...)</c> works as in the file. A study with no file (<see cref="OverrideMode.Open"/>)
/// takes <c>key=value</c> for a key it does not know as a new parameter, since there is no file to check it against.
/// </summary>
public static class ConfigOverrides
{
    /// <summary>Study keys <c>--set</c> can change. The parameter space's own keys are edited in the file.</summary>
    public static IReadOnlyList<string> StudyKeys { get; } =
        StudySpecBinder.TopLevelKeys.Where(k => k is not "params" and not "linked" and not "points" and not "exclude" and not "env").ToList();

    /// <summary>Returns the tree with every override applied, in order.</summary>
    /// <exception cref="SpecException">An override is malformed or names a key the study does not have.</exception>
    public static ConfigMapping Apply(ConfigMapping root, IEnumerable<string> overrides, OverrideMode mode = OverrideMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(overrides);
        var errors = new List<SpecError>();
        foreach (var item in overrides)
        {
            ArgumentNullException.ThrowIfNull(item);
            root = ApplyOne(root, item, mode, errors);
        }
        if (errors.Count > 0)
        {
            throw new SpecException(errors);
        }
        return root;
    }

    private static ConfigMapping ApplyOne(ConfigMapping root, string item, OverrideMode mode, List<SpecError> errors)
    {
        if (item.StartsWith('~'))
        {
            var removed = item[1..].Trim();
            if (removed.Length == 0 || removed.Contains('=', StringComparison.Ordinal))
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, InputLimits.Quote(item), "expected ~key, e.g. --set ~lr to remove the parameter lr"));
                return root;
            }
            return Remove(root, removed, errors);
        }
        var add = item.StartsWith("++", StringComparison.Ordinal) ? 2 : item.StartsWith('+') ? 1 : 0;
        var body = item[add..];
        var eq = body.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, InputLimits.Quote(item), "expected key=value, e.g. --set lr=0.1 or --set lr=0.1,0.2 (+key=value adds a parameter, ~key removes one)"));
            return root;
        }
        var key = body[..eq].Trim();
        if (key.Length > InputLimits.MaxNameLength)
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, InputLimits.Quote(key), $"key too long; expected at most {InputLimits.MaxNameLength} characters"));
            return root;
        }
        var value = ParseValue(body[(eq + 1)..], errors, key);
        if (value is null)
        {
            return root;
        }
        var parameters = ParamNames(root);
        if (add > 0)
        {
            var name = key.StartsWith("params.", StringComparison.Ordinal) ? key["params.".Length..] : key;
            if (add == 1 && parameters.TryGetValue(name, out var where))
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, key, $"the study already has the parameter '{name}' ({where}); write --set {name}=... to change it (or ++{name}=... to add or change)"));
                return root;
            }
            return SetParam(root, name, value, parameters, errors);
        }
        if (key.StartsWith("study.", StringComparison.Ordinal))
        {
            var studyKey = key["study.".Length..];
            if (!StudyKeys.Contains(studyKey))
            {
                var suggestion = Text.Suggestions.Closest(studyKey, StudyKeys);
                errors.Add(new SpecError(SourceLocation.CommandLine, key, $"'{InputLimits.Quote(studyKey)}' is not a study key{DidYouMean(suggestion)}; expected one of: {string.Join(", ", StudyKeys)}"));
                return root;
            }
            return Replace(root, studyKey, value);
        }
        if (key.StartsWith("params.", StringComparison.Ordinal))
        {
            var name = key["params.".Length..];
            if (!parameters.ContainsKey(name) && mode == OverrideMode.Strict)
            {
                errors.Add(Unknown(key, name, parameters.Keys, parameterOnly: true));
                return root;
            }
            return SetParam(root, name, value, parameters, errors);
        }
        if (StudyKeys.Contains(key))
        {
            if (parameters.ContainsKey(key))
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, key, $"'{key}' is both a study key and a parameter of this study; write --set params.{key}=... for the parameter or --set study.{key}=... for the study's {key}"));
                return root;
            }
            return Replace(root, key, value);
        }
        if (parameters.ContainsKey(key) || mode == OverrideMode.Open)
        {
            return SetParam(root, key, value, parameters, errors);
        }
        errors.Add(Unknown(key, key, parameters.Keys, parameterOnly: false));
        return root;
    }

    // What the tools Expt replaces call its study keys (ORruns, joblib, yanex, PyExperimenter, Hydra): a hint, never a
    // silent rename.
    private static readonly Dictionary<string, string> OtherToolsNames = new(StringComparer.Ordinal)
    {
        ["max_workers"] = "parallel", ["n_jobs"] = "parallel", ["jobs"] = "parallel", ["workers"] = "parallel", ["n_workers"] = "parallel",
        ["times"] = "replications", ["repeats"] = "replications", ["n_repeats"] = "replications", ["repetitions"] = "replications",
        ["reps"] = "replications", ["n_runs"] = "replications", ["random_seed"] = "seed", ["random_state"] = "seed",
        ["max_retries"] = "retries", ["experiment_name"] = "name",
    };

    private static string DidYouMean(string? suggestion) => suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)";

    private static SpecError Unknown(string key, string name, IEnumerable<string> parameters, bool parameterOnly)
    {
        var candidates = parameterOnly ? parameters.ToList() : StudyKeys.Concat(parameters).ToList();
        if (!parameterOnly && OtherToolsNames.TryGetValue(name, out var ours))
        {
            return new SpecError(SourceLocation.CommandLine, InputLimits.Quote(key), $"the study has no key or parameter '{name}' (did you mean '{ours}'? it is Expt's name for {name}); --set changes what the study already has: write --set +{name}=... to add a parameter");
        }
        var suggestion = Text.Suggestions.Closest(name, candidates);
        var what = parameterOnly ? "the study has no parameter" : "the study has no key or parameter";
        return new SpecError(SourceLocation.CommandLine, InputLimits.Quote(key), $"{what} '{InputLimits.Quote(name)}'{DidYouMean(suggestion)}; --set changes what the study already has: write --set +{InputLimits.Quote(name)}=... to add a parameter");
    }

    /// <summary>Every parameter the tree declares, with where (params, linked, points).</summary>
    private static Dictionary<string, string> ParamNames(ConfigMapping root)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.Find("params")?.Value is ConfigMapping map)
        {
            var flat = new List<ConfigEntry>();
            Flatten(map, string.Empty, flat);
            foreach (var e in flat)
            {
                names.TryAdd(e.Key, "params");
            }
        }
        foreach (var (section, node) in new[] { ("linked", root.Find("linked")?.Value), ("points", root.Find("points")?.Value) })
        {
            var items = node switch
            {
                ConfigSequence seq => seq.Items,
                ConfigMapping m => [m],
                _ => [],
            };
            foreach (var group in items.OfType<ConfigMapping>())
            {
                var flat = new List<ConfigEntry>();
                Flatten(group, string.Empty, flat);
                foreach (var e in flat)
                {
                    names.TryAdd(e.Key, section);
                }
            }
        }
        return names;
    }

    private static ConfigMapping Remove(ConfigMapping root, string key, List<SpecError> errors)
    {
        var parameters = ParamNames(root);
        var name = key.StartsWith("params.", StringComparison.Ordinal) ? key["params.".Length..] : key;
        if (key.StartsWith("study.", StringComparison.Ordinal) || (!parameters.ContainsKey(name) && StudyKeys.Contains(key)))
        {
            var studyKey = key.StartsWith("study.", StringComparison.Ordinal) ? key["study.".Length..] : key;
            if (!StudyKeys.Contains(studyKey))
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, "~" + key, $"'{InputLimits.Quote(studyKey)}' is not a study key{DidYouMean(Text.Suggestions.Closest(studyKey, StudyKeys))}"));
                return root;
            }
            return root with { Entries = root.Entries.Where(e => e.Key != studyKey).ToList() };
        }
        if (StudyKeys.Contains(key) && !key.StartsWith("params.", StringComparison.Ordinal))
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, "~" + key, $"'{key}' is both a study key and a parameter of this study; write --set ~params.{key} to remove the parameter or --set ~study.{key} for the study's {key}"));
            return root;
        }
        if (!parameters.TryGetValue(name, out var where))
        {
            var suggestion = Text.Suggestions.Closest(name, parameters.Keys);
            errors.Add(new SpecError(SourceLocation.CommandLine, "~" + InputLimits.Quote(key), $"the study has no parameter '{InputLimits.Quote(name)}' to remove{DidYouMean(suggestion)}"));
            return root;
        }
        if (where != "params")
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, "~" + key, $"'{name}' is declared in {where}, which --set cannot change; edit the study file"));
            return root;
        }
        var paramsEntry = root.Find("params")!;
        var flat = new List<ConfigEntry>();
        Flatten((ConfigMapping)paramsEntry.Value, string.Empty, flat);
        flat.RemoveAll(e => e.Key == name);
        return Replace(root, "params", new ConfigMapping(flat, paramsEntry.Value.Location));
    }

    private static ConfigNode? ParseValue(string text, List<SpecError> errors, string key)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('[') && !trimmed.EndsWith(']'))
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, key, $"'{InputLimits.Quote(trimmed)}' opens a list with '[' but does not close it; expected e.g. [1, 2] (quote it to keep it as text)"));
            return null;
        }
        if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
        {
            try
            {
                var parsed = YamlConfigReader.Parse("v: " + trimmed, "--set");
                return Relocate(parsed.Entries[0].Value);
            }
            catch (SpecException ex)
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, key, ex.Errors[0].Message));
                return null;
            }
        }
        if (SweepExpression.LooksLikeExpression(trimmed))
        {
            return new ConfigScalar(trimmed, false, SourceLocation.CommandLine);
        }
        var parts = SplitTopLevel(trimmed);
        if (parts.Count > 1)
        {
            return new ConfigSequence(parts.Select(Scalar).ToList(), SourceLocation.CommandLine);
        }
        return Scalar(trimmed);
    }

    private static ConfigNode Relocate(ConfigNode node) => node switch
    {
        ConfigScalar s => s with { Location = SourceLocation.CommandLine },
        ConfigSequence s => new ConfigSequence(s.Items.Select(Relocate).ToList(), SourceLocation.CommandLine),
        ConfigMapping m => new ConfigMapping(m.Entries.Select(e => e with { KeyLocation = SourceLocation.CommandLine, Value = Relocate(e.Value) }).ToList(), SourceLocation.CommandLine),
        _ => node,
    };

    private static ConfigScalar Scalar(string text)
    {
        text = text.Trim();
        if (text.Length >= 2 && (text[0] == '"' || text[0] == '\'') && text[^1] == text[0])
        {
            return new ConfigScalar(text[1..^1], true, SourceLocation.CommandLine);
        }
        return new ConfigScalar(text, false, SourceLocation.CommandLine);
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var start = 0;
        var depth = 0;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (c == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    private static ConfigMapping Replace(ConfigMapping map, string key, ConfigNode value)
    {
        var entries = map.Entries.ToList();
        var index = entries.FindIndex(e => e.Key == key);
        var entry = new ConfigEntry(key, SourceLocation.CommandLine, value);
        if (index >= 0)
        {
            entries[index] = entry;
        }
        else
        {
            entries.Add(entry);
        }
        return map with { Entries = entries };
    }

    private static ConfigMapping SetParam(ConfigMapping root, string name, ConfigNode value, Dictionary<string, string> parameters, List<SpecError> errors)
    {
        if (parameters.TryGetValue(name, out var where) && where != "params")
        {
            errors.Add(new SpecError(SourceLocation.CommandLine, name, $"'{name}' is declared in {where}, which --set cannot change; edit the study file"));
            return root;
        }
        var paramsEntry = root.Find("params");
        var flat = new List<ConfigEntry>();
        if (paramsEntry?.Value is ConfigMapping existing)
        {
            Flatten(existing, string.Empty, flat);
        }
        var index = flat.FindIndex(e => e.Key == name);
        var entry = new ConfigEntry(name, SourceLocation.CommandLine, value);
        if (index >= 0)
        {
            flat[index] = entry;
        }
        else
        {
            flat.Add(entry);
        }
        return Replace(root, "params", new ConfigMapping(flat, paramsEntry?.Value.Location ?? SourceLocation.CommandLine));
    }

    private static void Flatten(ConfigMapping map, string prefix, List<ConfigEntry> into)
    {
        foreach (var entry in map.Entries)
        {
            if (entry.Value is ConfigMapping nested)
            {
                Flatten(nested, prefix + entry.Key + ".", into);
            }
            else
            {
                into.Add(entry with { Key = prefix + entry.Key });
            }
        }
    }
}
