using Expt.Trials;

namespace Expt.Storage;

/// <summary>A study with its trial counts by status.</summary>
/// <param name="Study">The study.</param>
/// <param name="Counts">Trials per status (statuses with none are absent).</param>
/// <param name="FirstStarted">When its first trial started, if any has.</param>
/// <param name="LastFinished">When its last trial finished, if any has.</param>
public sealed record StudySummary(StudyRecord Study, IReadOnlyDictionary<TrialStatus, int> Counts, DateTimeOffset? FirstStarted, DateTimeOffset? LastFinished)
{
    public int Total => Counts.Values.Sum();

    /// <summary>Trials with the given status.</summary>
    public int Count(TrialStatus status) => Counts.TryGetValue(status, out var n) ? n : 0;
}
