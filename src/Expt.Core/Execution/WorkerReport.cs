namespace Expt.Execution;

/// <summary>What a worker did.</summary>
/// <param name="Completed">Trials completed.</param>
/// <param name="Failed">Attempts that failed (retried ones included).</param>
/// <param name="TimedOut">Attempts that timed out (retried ones included).</param>
/// <param name="Cancelled">Trials interrupted.</param>
/// <param name="Refused">Outcomes the store refused because the lease was lost.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record WorkerReport(int Completed, int Failed, int TimedOut, int Cancelled, int Refused, TimeSpan Elapsed)
{
    /// <summary>Trials given back to the queue (claimed but not started, or preempted).</summary>
    public int GivenBack { get; init; }

    /// <summary>Trials cancelled in the store (<c>expt cancel</c>, the dashboard) while this worker ran them; counted in <see cref="Cancelled"/> too.</summary>
    public int CancelledInStore { get; init; }

    /// <summary>Trials the memory guard stopped and gave back to the queue (counted in <see cref="GivenBack"/> too).</summary>
    public int StoppedForMemory { get; init; }

    /// <summary>Why the worker stopped early with nothing wrong in the store: an adaptive study whose rules cannot decide (a typo in a rule), or null.</summary>
    public string? Problem { get; init; }

    /// <summary>Every attempt that ended.</summary>
    public int Total => Completed + Failed + TimedOut + Cancelled;
}
