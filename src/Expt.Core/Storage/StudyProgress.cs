using Expt.Trials;

namespace Expt.Storage;

/// <summary>A study's progress across all workers, as <c>expt status</c> shows it.</summary>
/// <param name="Counts">Trials per status.</param>
/// <param name="FinishedSince">Trials that reached a final status since the time asked for (for the rate).</param>
/// <param name="Running">Running trials with their leases (host, pid, heartbeat), oldest first.</param>
/// <param name="Now">The store's clock when it answered (to judge which leases are stale).</param>
public sealed record StudyProgress(IReadOnlyDictionary<TrialStatus, int> Counts, int FinishedSince, IReadOnlyList<TrialRecord> Running, DateTimeOffset Now);
