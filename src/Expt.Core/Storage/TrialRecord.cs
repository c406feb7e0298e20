using Expt.Trials;

namespace Expt.Storage;

/// <summary>A stored trial, as queries return it.</summary>
public sealed record TrialRecord
{
    /// <summary>8-hex-digit id.</summary>
    public required string Id { get; init; }

    public required string StudyId { get; init; }

    public required string StudyName { get; init; }

    public required string Key { get; init; }

    /// <summary>Order within the study.</summary>
    public long Seq { get; init; }

    public int Replicate { get; init; }

    /// <summary>Parameters, flat JSON object.</summary>
    public required string ParamsJson { get; init; }

    /// <summary>The seed derived from the study seed and the trial's identity: the same whichever worker runs it, in whatever order.</summary>
    public long Seed { get; init; }

    public TrialStatus Status { get; init; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; init; }

    /// <summary>How many attempts the trial may have: its retries plus one.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>When it was enqueued.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When its last attempt started.</summary>
    public DateTimeOffset? Started { get; init; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? Finished { get; init; }

    /// <summary>How long its last attempt ran.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The host that ran it.</summary>
    public string? Host { get; init; }

    /// <summary>The process that ran it.</summary>
    public int? Pid { get; init; }

    /// <summary>The worker holding its lease, while running.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the lease runs out, while running.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>When the worker holding the lease last renewed it (running trials only).</summary>
    public DateTimeOffset? Heartbeat { get; init; }

    /// <summary>Final results, a JSON object.</summary>
    public string? ResultsJson { get; init; }

    /// <summary>What went wrong: the stderr tail or the exception.</summary>
    public string? Error { get; init; }

    /// <summary>The exit code of a command trial.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Attempts interrupted in a row (runner died, lease ran out); reset by a completed attempt or a retry.</summary>
    public int Interruptions { get; init; }

    /// <summary>Earlier attempts that were retried or interrupted, as a JSON array of {time, attempt, event, reason}.</summary>
    public string? History { get; init; }

    /// <summary>The machine that ran the last attempt, as a JSON object.</summary>
    public string? ProvenanceJson { get; init; }

    /// <summary>The trial's name (from the study's <c>trial_name</c> template), or null.</summary>
    public string? Name { get; init; }

    /// <summary>The trial's own tags (the study's are on the study).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>A note about the trial (<c>expt note</c>, or written by the trial), or null.</summary>
    public string? Note { get; init; }

    /// <summary>The invocation that last ran it (its provenance: <see cref="IStudyCatalog.GetRunAsync"/>), or null.</summary>
    public string? RunId { get; init; }

    /// <summary>The MPI rank that ran it, or null.</summary>
    public int? Rank { get; init; }

    // Kept beside the record, not in it: a cached field would make two equal records unequal once one was read, and a
    // copy made with 'with { ResultsJson = ... }' would carry the old parse.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrialRecord, IReadOnlyList<KeyValuePair<string, object?>>> Parsed = new();

    // Parsed once: summaries read several metrics of every trial, and parsing dominated them.
    internal IReadOnlyList<KeyValuePair<string, object?>> ParsedResults => Parsed.GetValue(this, static t => Analysis.ResultValues.Parse(t.ResultsJson));

    /// <summary>What the trial needs of a machine (nothing when its study declares no resources).</summary>
    public Resources.TrialNeeds Needs { get; init; } = Resources.TrialNeeds.None;

    /// <summary>
    /// What the trial's last attempt used and was given, as JSON: cores, GPU devices, CPU time, peak memory of its
    /// process tree (see <see cref="Resources.TrialUsage"/>); null before it ran.
    /// </summary>
    public string? UsageJson { get; init; }
}
