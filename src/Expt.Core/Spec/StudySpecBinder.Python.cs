namespace Expt.Spec;

/// <summary>The <c>python:</c> key: a function each trial calls, and how.</summary>
public sealed partial class StudySpecBinder
{
    private static readonly string[] PythonKeys = ["function", "mode", "preload", "interpreter"];

    /// <summary>
    /// <c>python: train:main</c>, or <c>python: {function: train:main, mode: fork|inline|fresh, preload: [numpy], interpreter: python3}</c>.
    /// A module named by its file must exist (relative to the study's directory).
    /// </summary>
    private PythonTarget? BindPython(ConfigMapping root, string workDir)
    {
        if (root.Find("python") is not { } entry)
        {
            return null;
        }
        string? function = null;
        var mode = PythonMode.Fork;
        var preload = new List<string>();
        var interpreter = PythonTarget.DefaultInterpreter;
        switch (entry.Value)
        {
            case ConfigScalar scalar:
                function = scalar.Text;
                break;
            case ConfigMapping map:
                var unknown = map.Entries.Where(e => !PythonKeys.Contains(e.Key)).ToList();
                foreach (var e in unknown)
                {
                    var suggestion = Text.Suggestions.Closest(e.Key, PythonKeys);
                    Error(e.KeyLocation, "python." + InputLimits.Quote(e.Key), $"unknown key{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected {string.Join(", ", PythonKeys)}");
                }
                function = PythonText(map, "function");
                if (function is null && map.Find("function") is null && unknown.Count == 0)
                {
                    Error(map.Location, "python.function", "missing; expected the function each trial calls, such as train:main");
                }
                if (PythonText(map, "mode") is { } modeText)
                {
                    mode = PythonTarget.ParseMode(modeText) ?? Error(map.Find("mode")!.Value.Location, "python.mode", $"expected fork, inline or fresh, got '{InputLimits.Quote(modeText)}'", PythonMode.Fork);
                }
                if (PythonText(map, "interpreter") is { } interpreterText)
                {
                    interpreter = interpreterText;
                }
                if (map.Find("preload") is { } preloadEntry)
                {
                    var items = preloadEntry.Value switch
                    {
                        ConfigSequence seq => seq.Items,
                        ConfigScalar s => [s],
                        _ => [],
                    };
                    if (preloadEntry.Value is ConfigMapping)
                    {
                        Error(preloadEntry.Value.Location, "python.preload", "expected a list of module names, such as [numpy, pandas]");
                    }
                    foreach (var item in items)
                    {
                        if (item is ConfigScalar { Text: var name } && PythonTarget.IsModuleName(name))
                        {
                            preload.Add(name);
                        }
                        else
                        {
                            Error(item.Location, "python.preload", $"expected a module name (such as numpy or torch.nn), got {Shown(item)}");
                        }
                    }
                }
                break;
            default:
                Error(entry.Value.Location, "python", "expected module:function (such as train:main), or a mapping with function, mode, preload and interpreter");
                return null;
        }
        if (function is null)
        {
            return null;
        }
        var location = entry.Value is ConfigMapping m && m.Find("function") is { } f ? f.Value.Location : entry.Value.Location;
        if (PythonTarget.Problem(function) is { } problem)
        {
            Error(location, entry.Value is ConfigMapping ? "python.function" : "python", problem);
            return null;
        }
        var target = new PythonTarget(function, mode, preload, interpreter);
        if (target.IsFile && !File.Exists(Path.GetFullPath(target.Module, workDir)))
        {
            Error(location, entry.Value is ConfigMapping ? "python.function" : "python", $"no file {InputLimits.Quote(Path.GetFullPath(target.Module, workDir))}; a module named by its path is found from the study's directory");
            return null;
        }
        return target;
    }

    private string? PythonText(ConfigMapping map, string key)
    {
        if (map.Find(key) is not { } entry)
        {
            return null;
        }
        if (entry.Value is ConfigScalar { Text.Length: > 0 } scalar)
        {
            return CheckText(scalar.Text, scalar.Location, "python." + key) ? scalar.Text : null;
        }
        Error(entry.Value.Location, "python." + key, "expected a single value");
        return null;
    }
}
