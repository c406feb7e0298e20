namespace Expt.Trials;

/// <summary>
/// The life of a trial: pending → running → completed | failed | timeout | cancelled. Failed and timed-out
/// trials with attempts left go back to pending; an expired lease returns a running trial to pending.
/// </summary>
public enum TrialStatus
{
    /// <summary>Waiting to be claimed.</summary>
    Pending,

    /// <summary>Claimed by a worker that holds its lease.</summary>
    Running,

    /// <summary>Finished successfully; results stored.</summary>
    Completed,

    /// <summary>Exited non-zero or threw, with no attempts left.</summary>
    Failed,

    /// <summary>Ran past its time limit, with no attempts left.</summary>
    Timeout,

    /// <summary>Interrupted by the user; the next run picks it up again.</summary>
    Cancelled,
}
