using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>What a worker knows of one trial it holds a lease on, from its claim until the store confirms its outcome.</summary>
internal sealed class HeldTrial(TrialLease lease, Resources.ResourceGrant grant)
{
    public TrialLease Lease { get; } = lease;

    /// <summary>The share of the worker's capacity it holds until its outcome is written.</summary>
    public Resources.ResourceGrant Grant { get; } = grant;

    /// <summary>Cancelled to interrupt the trial (abort, preemption, a lost lease, a cancel in the store).</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Interrupted to be given back to the queue (preemption), not to end as cancelled.</summary>
    public bool GiveBack { get; set; }

    /// <summary>The store was out of reach too long: the lease is presumed lost, the outcome is not written.</summary>
    public bool Abandoned { get; set; }

    /// <summary>It holds its cores and memory among running trials (see <see cref="Resources.ResourcePool.StartAsync"/>).</summary>
    public bool Running { get; set; }

    /// <summary>Stopped by the memory guard (and given back): the machine ran short of memory.</summary>
    public bool StoppedForMemory { get; set; }

    /// <summary>When it started (a timestamp of the worker's clock), to find the youngest.</summary>
    public long StartedAt { get; set; }

    /// <summary>Its process has started (so stopping it is worth a look at the store every second).</summary>
    public bool Started { get; set; }

    /// <summary>Cancelled in the store (<c>expt cancel</c>, the dashboard) while it ran: stopped, nothing to write.</summary>
    public bool CancelledInStore { get; set; }

    /// <summary>Interrupts the trial; a trial already released is left alone.</summary>
    public void Cancel()
    {
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
