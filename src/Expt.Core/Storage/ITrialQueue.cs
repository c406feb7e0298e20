using Expt.Trials;

namespace Expt.Storage;

/// <summary>
/// The worker side of a store: claim trials under a lease, keep leases alive, complete or give them back.
/// Every method is atomic; completions of a batch are written in one transaction, results before status.
/// </summary>
public interface ITrialQueue
{
    /// <summary>
    /// Claims up to <see cref="ClaimRequest.Max"/> pending trials, highest priority then lowest sequence first (across
    /// studies: the oldest study first), and leases them. Running trials whose lease expired are first given back as
    /// interrupted (see <see cref="AttemptPolicy"/>).
    /// </summary>
    Task<IReadOnlyList<TrialLease>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Extends leases; returns the ids of trials whose lease was lost (expired and taken, cancelled, reset).</summary>
    Task<IReadOnlyList<string>> HeartbeatAsync(IReadOnlyList<TrialLease> leases, TimeSpan extension, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes. A completion whose token no longer matches is refused (false). A failed or timed-out
    /// attempt with attempts left returns the trial to pending.
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<TrialCompletion> completions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends step metrics of a running trial (a flush while it runs); refused (false) when the lease is no longer held.
    /// </summary>
    Task<bool> AppendMetricsAsync(TrialLease lease, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default);

    /// <summary>Gives leases back without an outcome; returns how many were still held (and so released).</summary>
    Task<int> ReleaseAsync(IReadOnlyList<TrialLease> leases, ReleaseMode mode, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the running trials leased by these workers (a runner that died: found on its host by the next one),
    /// as interrupted: see <see cref="AttemptPolicy"/>. Returns how many.
    /// </summary>
    Task<int> InterruptAsync(IReadOnlyList<string> leaseOwners, string reason, CancellationToken cancellationToken = default);

    /// <summary>Returns trials of a study in the given statuses to pending with their attempts reset (ids kept).</summary>
    Task<int> ResetAsync(string studyId, IReadOnlyList<TrialStatus> statuses, IReadOnlyList<string>? trialIds = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the memory need of the study's pending trials that need less than <paramref name="memoryBytes"/> or are still
    /// waiting for a measurement (<see cref="Resources.ResourcePlan.Unmeasured"/>): what <c>memory: auto</c> learned.
    /// Returns how many trials changed.
    /// </summary>
    Task<int> LearnMemoryAsync(string studyId, long memoryBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the adaptive decisions a study's trials make possible (<see cref="Adaptive.AdaptiveRules"/>): under the
    /// study's lock, in one transaction, reads its trials and recorded decisions, enqueues the replicates the rules add and
    /// records the points they decide. Deciding is idempotent: a second caller sees the first one's work and adds nothing.
    /// </summary>
    Task<Adaptive.AdaptiveStep> AdvanceAsync(string studyId, Adaptive.AdaptiveRules rules, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until new work may be available (trials enqueued or returned to the queue) or <paramref name="timeout"/>
    /// passed, whichever comes first. Stores that cannot be notified simply wait: callers poll after it returns.
    /// </summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether any trial of the study is running (anywhere): what an idle worker asks before it leaves, so it stays for
    /// a dead worker's trials. Cheap whatever the study's size (the index of running trials), since every idle worker
    /// of a cluster asks.
    /// </summary>
    Task<bool> HasRunningTrialsAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>Cancels pending and running trials of a study (or just the given ids); running ones lose their lease.</summary>
    Task<int> CancelAsync(string? studyId, IReadOnlyList<string>? trialIds = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Withdraws the given pending trials of a study (its file no longer plans them): cancelled with
    /// <see cref="TrialRows.WithdrawnError"/> as their reason, so they stay listable and are never claimed;
    /// <see cref="ResetAsync"/> brings them back. Trials that are not pending are left as they are.
    /// </summary>
    Task<int> WithdrawAsync(string studyId, IReadOnlyList<string> trialIds, CancellationToken cancellationToken = default);
}
