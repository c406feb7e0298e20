using Expt.Storage;

namespace Expt.Execution;

/// <summary>How a worker pulls and runs trials.</summary>
public sealed record WorkerOptions
{
    /// <summary>Only this study; null for any.</summary>
    public string? StudyId { get; init; }

    /// <summary>Trials run at once.</summary>
    public int Slots { get; init; } = 1;

    /// <summary>Only these trials (chosen with <c>--where</c>); any pending trial when null.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>The invocation's provenance id, recorded with each trial claimed (see <c>IStudyCatalog.RecordRunAsync</c>).</summary>
    public string? RunId { get; init; }

    /// <summary>How long a claim lasts without a heartbeat.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often leases are renewed.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after starting this many trials.</summary>
    public int? MaxTrials { get; init; }

    /// <summary>
    /// When nothing is left to claim: null to stop at once (a local run), or how long to keep polling for new work
    /// before stopping.
    /// </summary>
    public TimeSpan? IdleExit { get; init; }

    /// <summary>How often an idle worker looks for work at first (the wait doubles with every empty look, see <see cref="IdlePollCeiling"/>).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait between an idle worker's looks for work (never more than a quarter of the lease, so a dead
    /// worker's trials are taken soon after their lease runs out). New work wakes a worker at once where the store
    /// announces it (SQLite in the same process; PostgreSQL's NOTIFY, not through PgBouncer).
    /// </summary>
    public TimeSpan IdlePollCeiling { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Who this worker is.</summary>
    public WorkerIdentity Identity { get; init; } = WorkerIdentity.ForThisProcess();

    /// <summary>This worker's machine as a JSON object, recorded with every trial it claims.</summary>
    public string? ProvenanceJson { get; init; }

    /// <summary>
    /// Copy each trial's files (logs, artifacts) up to this many bytes each into the store with its outcome, so they
    /// can be read from any machine; null leaves them only on disk (a local or shared directory).
    /// </summary>
    public long? KeepFilesUpTo { get; init; }

    /// <summary>The most bytes of files copied into the store per trial (with <see cref="KeepFilesUpTo"/>).</summary>
    public long KeepFilesTotal { get; init; } = 64L << 20;

    /// <summary>
    /// How long to wait, when a trial's process dies of a signal this worker did not send (SIGTERM, SIGKILL, SIGINT,
    /// SIGHUP), for the worker itself to be told to stop before recording the failure. A batch system that cancels,
    /// preempts or requeues a job signals every process in it at once, and the trial may die before the worker hears:
    /// then the trial is given back, not failed.
    /// </summary>
    public TimeSpan SignalGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Masks known secret values in what trials hand back (errors, results, files kept in the store).</summary>
    public Provenance.SecretScrubber Scrubber { get; init; } = Provenance.SecretScrubber.None;

    /// <summary>Where outcomes go when the store cannot be written; null keeps none (their trials then run again).</summary>
    public OutcomeSpool? Spool { get; init; }

    /// <summary>
    /// The worker's capacity (cores, memory, GPUs) and what its trials hold: trials are claimed only when they fit, and
    /// each is given its cores and GPUs. Null schedules by <see cref="Slots"/> alone.
    /// </summary>
    public Resources.ResourcePool? Resources { get; init; }

    /// <summary>
    /// With <see cref="Resources"/>: how the machine's available and total memory are read for the memory guard (as GNU
    /// parallel's <c>--memfree</c>: when what is available falls below the reserve, the youngest running trial goes back
    /// to the queue and fewer run at once); null turns the guard off.
    /// </summary>
    public Func<(long Available, long Total)?>? MemoryInfo { get; init; } = () => Expt.Resources.MachineCapacity.ReadMemInfo();

    /// <summary>The studies whose memory need is learned from their trials (<c>memory: auto</c>).</summary>
    public IReadOnlySet<string>? AutoMemoryStudies { get; init; }

    /// <summary>
    /// The adaptive studies this worker serves, by id, with their rules: after a trial of one is recorded, the worker
    /// asks the store to take the decisions it makes possible (replicates added, points stopped or eliminated).
    /// </summary>
    public IReadOnlyDictionary<string, Adaptive.AdaptiveRules>? AdaptiveStudies { get; init; }

    /// <summary>How often the memory guard looks.</summary>
    public TimeSpan MemoryCheck { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most trials claimed ahead of free slots, when trials are short.</summary>
    public int MaxPrefetch { get; init; } = 4000;

    /// <summary>
    /// How often running trials are looked up in the store to stop those cancelled there (<c>expt cancel</c>);
    /// zero turns the look off, leaving it to the heartbeat.
    /// </summary>
    public TimeSpan CancelCheck { get; init; } = TimeSpan.FromSeconds(1);
}
