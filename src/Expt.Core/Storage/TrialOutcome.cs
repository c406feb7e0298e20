using Expt.Trials;

namespace Expt.Storage;

/// <summary>How an attempt ended.</summary>
/// <param name="Status">Completed, failed, timeout or cancelled.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="ResultsJson">Final results as a JSON object, if any.</param>
/// <param name="Error">What went wrong, if anything.</param>
/// <param name="ExitCode">Exit code of a command trial.</param>
public sealed record TrialOutcome(TrialStatus Status, TimeSpan Duration, string? ResultsJson = null, string? Error = null, int? ExitCode = null)
{
    /// <summary>Step metrics recorded by the attempt, stored in the same transaction as the status.</summary>
    public IReadOnlyList<MetricPoint> Metrics { get; init; } = [];

    /// <summary>Files of the trial (logs, artifacts) to keep in the store itself, stored with the outcome.</summary>
    public IReadOnlyList<TrialFile> Files { get; init; } = [];

    /// <summary>Tags the trial gave itself (C# <c>trial.Tag</c>, or lines of <c>$EXPT_TAGS</c>), added to its tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>A note the trial wrote about itself (C# <c>trial.Note</c>, or <c>$EXPT_NOTE</c>), or null.</summary>
    public string? Note { get; init; }

    /// <summary>Where the trial really ran when that is not the claiming worker (an MPI rank): host, pid and rank.</summary>
    public TrialPlace? Place { get; init; }

    /// <summary>What the attempt was given and used (cores, GPUs, CPU time, peak memory), when measured.</summary>
    public Resources.TrialUsage? Usage { get; init; }
}
