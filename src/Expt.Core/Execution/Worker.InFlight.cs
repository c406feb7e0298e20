using Expt.Storage;

namespace Expt.Execution;

// What the worker knows of each trial it holds, and what a slot hands the writer.
public sealed partial class Worker
{
    private sealed class InFlight(TrialLease lease, CancellationTokenSource cancellation)
    {
        public TrialLease Lease { get; } = lease;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        /// <summary>Interrupted to be given back to the queue (preemption), not to end as cancelled.</summary>
        public bool GiveBack { get; set; }

        /// <summary>The store was out of reach too long: the lease is presumed lost, the outcome is not written.</summary>
        public bool Abandoned { get; set; }

        /// <summary>Its process has started (so stopping it is worth a look at the store every second).</summary>
        public bool Started { get; set; }

        /// <summary>Cancelled in the store (<c>expt cancel</c>, the dashboard) while it ran: stopped, nothing to write.</summary>
        public bool CancelledInStore { get; set; }
    }

    private sealed record Done(TrialContext Context, TrialOutcome Outcome);
}
