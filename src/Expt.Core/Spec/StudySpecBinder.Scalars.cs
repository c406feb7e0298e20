namespace Expt.Spec;

// Single values: names, strings, numbers, durations, limits and tags, each checked against InputLimits.
public sealed partial class StudySpecBinder
{
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
        // A parameter's value is stored with every trial, shown and exported: a token by its shape never is.
        if (Provenance.Redactor.HasTokenShape(scalar.Text))
        {
            Error(scalar.Location, key, $"holds a token (an API key or access token, by its shape); parameters are stored with every trial, so pass it through the environment instead: env: {{TOKEN: ${{TOKEN}}}}");
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
        if (Provenance.Redactor.IsSecretParameter(name))
        {
            // Parameters are data (stored with every trial, in names, exports and the dashboard); a secret is not.
            var variable = CommandTemplate.EnvironmentName(name)["EXPT_PARAM_".Length..];
            Error(location, key, $"a parameter named like a secret would be stored with every trial; pass the secret through the environment instead: env: {{{variable}: ${{{variable}}}}} (or rename the parameter if it holds no secret)");
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
