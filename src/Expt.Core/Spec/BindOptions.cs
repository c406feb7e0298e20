namespace Expt.Spec;

/// <summary>How a configuration tree is turned into a <see cref="StudySpec"/>.</summary>
public sealed record BindOptions
{
    /// <summary>Relative paths (workdir) resolve against this directory: the study file's.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>More trials than this (points × replications) are refused unless <see cref="AllowLarge"/>.</summary>
    public long TrialLimit { get; init; } = 1_000_000;

    /// <summary>The user said <c>--yes</c> to a large study.</summary>
    public bool AllowLarge { get; init; }

    /// <summary>The name to use when the configuration has none.</summary>
    public string? DefaultName { get; init; }

    /// <summary>The C# experiment to use when the configuration names none.</summary>
    public string? DefaultExperiment { get; init; }

    /// <summary>C# experiments the host knows; a configuration naming another is refused.</summary>
    public IReadOnlyCollection<string>? KnownExperiments { get; init; }
}
