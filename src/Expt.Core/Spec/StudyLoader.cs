namespace Expt.Spec;

/// <summary>Reads, overrides and validates a study file in one call.</summary>
public static class StudyLoader
{
    /// <summary>Loads a study file.</summary>
    /// <exception cref="SpecException">Any problem, each with file, line, key and what was expected.</exception>
    /// <param name="path">The file.</param>
    /// <param name="overrides"><c>--set</c> overrides.</param>
    /// <param name="options">Binding options.</param>
    /// <param name="displayName">The file name as the user wrote it, for messages (default: <paramref name="path"/>).</param>
    public static StudySpec LoadFile(string path, IEnumerable<string> overrides, BindOptions options, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        var root = ResolveFile(path, overrides, displayName);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var spec = StudySpecBinder.Bind(root, options with { BaseDirectory = directory });
        return spec with { SourceFile = Path.GetFullPath(path) };
    }

    /// <summary>
    /// The study file as Expt reads it: its includes and config groups composed, <c>--set</c> applied; what
    /// <c>expt run --print-config</c> shows.
    /// </summary>
    /// <exception cref="SpecException">Any problem, each with file, line, key and what was expected.</exception>
    public static ConfigMapping ResolveFile(string path, IEnumerable<string> overrides, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(overrides);
        displayName ??= path;
        var (root, _) = Read(path, displayName);
        var (composed, rest) = ConfigComposer.Compose(root, path, displayName, overrides, Read);
        var resolved = ConfigOverrides.Apply(composed, rest);
        // The name first, as people write it, wherever composition put it.
        return resolved.Find("name") is { } name
            ? new ConfigMapping([name, .. resolved.Entries.Where(e => e.Key != "name")], resolved.Location)
            : resolved;
    }

    private static (ConfigMapping Tree, string Text) Read(string path, string displayName)
    {
        string text;
        try
        {
            text = ReadBounded(path) ?? throw new SpecException(new SpecError(new SourceLocation(displayName, 0), string.Empty, $"the file is larger than the limit of {InputLimits.MaxStudyFileBytes >> 20} MiB"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message;
            throw new SpecException(new SpecError(new SourceLocation(displayName, 0), string.Empty, $"cannot read the study file: {reason}"));
        }
        return (YamlConfigReader.Parse(text, displayName), text);
    }

    // A study file is small: stop reading a huge one (or a device such as /dev/zero) at the limit.
    private static string? ReadBounded(string path)
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var text = new System.Text.StringBuilder();
        var buffer = new char[64 * 1024];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > InputLimits.MaxStudyFileBytes)
            {
                return null;
            }
        }
        return text.ToString();
    }

    /// <summary>Builds a study with no file: a command line plus <c>--set</c> sweeps.</summary>
    public static StudySpec FromCommand(string name, IReadOnlyList<string> commandArgs, IEnumerable<string> overrides, BindOptions options)
    {
        ArgumentNullException.ThrowIfNull(commandArgs);
        ArgumentNullException.ThrowIfNull(options);
        var command = string.Join(' ', commandArgs.Select(a => a.Contains('{', StringComparison.Ordinal) && !a.Any(char.IsWhiteSpace) ? a : CommandTemplate.QuoteForShell(a)));
        var root = new ConfigMapping(
        [
            new ConfigEntry("name", SourceLocation.CommandLine, new ConfigScalar(name, true, SourceLocation.CommandLine)),
            new ConfigEntry("command", SourceLocation.CommandLine, new ConfigScalar(command, true, SourceLocation.CommandLine)),
        ], SourceLocation.CommandLine);
        return StudySpecBinder.Bind(ConfigOverrides.Apply(root, overrides, OverrideMode.Open), options);
    }
}
