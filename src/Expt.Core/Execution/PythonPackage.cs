namespace Expt.Execution;

/// <summary>
/// The <c>expt</c> Python package that ships with this program (beside it, in <c>python/expt</c>; in a source checkout,
/// the repository's <c>python/</c>). Every trial Expt starts finds it on <c>PYTHONPATH</c>, so <c>import expt</c> works in
/// a trial with no install step, and always matches the Expt that runs it.
/// </summary>
public static class PythonPackage
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The directory holding the <c>expt</c> package (what goes on <c>PYTHONPATH</c>), or null when it is missing.</summary>
    public static string? Directory => Found.Value;

    /// <summary>Puts the package first on <c>PYTHONPATH</c> in <paramref name="environment"/>, keeping what was there.</summary>
    public static void AddToPath(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (Directory is not { } dir)
        {
            return;
        }
        var existing = environment.TryGetValue("PYTHONPATH", out var value) ? value : null;
        if (existing is not null && existing.Split(':').Contains(dir, StringComparer.Ordinal))
        {
            return;
        }
        environment["PYTHONPATH"] = string.IsNullOrEmpty(existing) ? dir : dir + ":" + existing;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("EXPT_PYTHON_PACKAGE") is { Length: > 0 } given && File.Exists(Path.Combine(given, "expt", "__init__.py")))
        {
            return Path.GetFullPath(given);
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "python");
        if (File.Exists(Path.Combine(beside, "expt", "__init__.py")))
        {
            return beside;
        }
        // A source checkout: the repository's own copy, found above the build output.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "python");
            if (File.Exists(Path.Combine(candidate, "expt", "__init__.py")) && File.Exists(Path.Combine(candidate, "pyproject.toml")))
            {
                return candidate;
            }
        }
        return null;
    }
}
