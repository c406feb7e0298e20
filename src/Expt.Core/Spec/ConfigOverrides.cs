namespace Expt.Spec;

/// <summary>
/// Applies <c>--set key=value</c> overrides to a configuration tree. Top-level keys (replications, seed, ...) are
/// replaced; any other key is a parameter (dotted keys included; a <c>params.</c> prefix is optional). A value with
/// commas (<c>lr=0.1,0.2</c>) or in brackets becomes a list, so an override can turn a fixed value into a sweep axis;
/// <c>lr=range(...)</c> works as in the file.
/// </summary>
public static class ConfigOverrides
{
    /// <summary>Returns the tree with every override applied, in order.</summary>
    /// <exception cref="SpecException">An override is not of the form key=value.</exception>
    public static ConfigMapping Apply(ConfigMapping root, IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(overrides);
        var errors = new List<SpecError>();
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add(new SpecError(SourceLocation.CommandLine, item, "expected key=value, e.g. --set lr=0.1 or --set lr=0.1,0.2"));
                continue;
            }
            var key = item[..eq].Trim();
            var value = ParseValue(item[(eq + 1)..], errors, key);
            if (value is null)
            {
                continue;
            }
            if (StudySpecBinder.TopLevelKeys.Contains(key) && key is not "params" and not "linked" and not "points" and not "exclude" and not "env")
            {
                root = Replace(root, key, value);
            }
            else
            {
                var name = key.StartsWith("params.", StringComparison.Ordinal) ? key["params.".Length..] : key;
                root = SetParam(root, name, value);
            }
        }
        if (errors.Count > 0)
        {
            throw new SpecException(errors);
        }
        return root;
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

    private static ConfigMapping SetParam(ConfigMapping root, string name, ConfigNode value)
    {
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
