using System.Threading.Channels;
using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>
/// Claims trials under a lease as slots free up (further ahead for short trials, so the store sees one claim per
/// batch), and decides when there is nothing left to do: the queue is empty and no trial of the study runs elsewhere.
/// </summary>
internal sealed class ClaimLoop(IExptStore store, WorkerOptions options, TimeProvider time, HeldTrials held, StoreHealth health, WorkerCounters counters, ReplicationAdvancer advancer)
{
    private int _emptyClaims;

    /// <summary>Claims into <paramref name="ready"/> until there is nothing left, the trial limit, or <paramref name="stop"/>.</summary>
    public async Task RunAsync(ChannelWriter<TrialLease> ready, CancellationToken stop)
    {
        var idleSince = (long?)null;
        var claimed = 0;
        while (!stop.IsCancellationRequested)
        {
            var remaining = options.MaxTrials is { } max ? max - claimed : int.MaxValue;
            if (remaining <= 0)
            {
                break;
            }
            var capacity = Math.Min(Target() - held.Count, remaining);
            if (capacity > 0)
            {
                // Whether the claim was made with nothing held: only then does an empty claim mean nothing is left for
                // this worker (with trials held, their resources may be what stopped it).
                var emptyHanded = held.IsEmpty;
                IReadOnlyList<TrialLease> leases;
                try
                {
                    leases = await ClaimAsync(capacity, stop).ConfigureAwait(false);
                }
                catch (StoreUnavailableException) when (!health.OutOfReach(options.Lease) && !stop.IsCancellationRequested)
                {
                    // The store is restarting or the network hiccupped: keep what runs, try again shortly.
                    await Task.Delay(options.PollInterval, time, stop).ConfigureAwait(false);
                    continue;
                }
                foreach (var lease in leases)
                {
                    if (held.Hold(lease))
                    {
                        ready.TryWrite(lease);
                    }
                }
                claimed += leases.Count;
                _emptyClaims = leases.Count > 0 ? 0 : _emptyClaims + 1;
                if (leases.Count > 0)
                {
                    idleSince = null;
                    if (leases.Count == capacity)
                    {
                        continue;
                    }
                }
                else if (held.IsEmpty && !emptyHanded)
                {
                    // The trials held during the claim were released since, with their resources: claim again now.
                    continue;
                }
                else if (held.IsEmpty)
                {
                    idleSince ??= time.GetTimestamp();
                    if ((options.IdleExit is not { } idle || time.GetElapsedTime(idleSince.Value) >= idle) && !await OthersRunningAsync(stop).ConfigureAwait(false))
                    {
                        // An adaptive study may owe a decision (one missed by a worker that died, or a resumed race):
                        // take it, and go on if it added replicates.
                        if (await advancer.CatchUpAsync().ConfigureAwait(false))
                        {
                            idleSince = null;
                            continue;
                        }
                        break;
                    }
                }
            }
            await IdleAsync(capacity > 0, stop).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<TrialLease>> ClaimAsync(int capacity, CancellationToken stop)
    {
        // One claim may not outlast a lease, however long the store keeps retrying.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
        bounded.CancelAfter(options.Lease);
        try
        {
            var budget = options.Resources?.Budget(ahead: Ahead() / (double)options.Slots);
            var request = new ClaimRequest(options.Identity, capacity, options.Lease, options.StudyId, options.ProvenanceJson) { RunId = options.RunId, Ids = options.Ids, Budget = budget };
            var leases = await store.ClaimAsync(request, bounded.Token).ConfigureAwait(false);
            health.Contact();
            if (budget is not null)
            {
                options.Resources!.Claimed(budget);
            }
            return leases;
        }
        catch (OperationCanceledException ex) when (!stop.IsCancellationRequested)
        {
            throw new StoreUnavailableException($"the store did not answer a claim within {options.Lease.TotalSeconds:0.#} s", ex);
        }
    }

    private int Target() => options.Slots + Ahead();

    // Short trials: claim ahead so the store sees one claim per batch, not one per trial.
    private int Ahead()
    {
        var averageMs = counters.AverageMs;
        return averageMs < 50 ? (int)Math.Min(options.MaxPrefetch, options.Slots * 200.0 / Math.Max(averageMs, 0.01)) : 0;
    }

    // Nothing to claim, but trials of the study still run elsewhere: if their worker died, they return to the queue
    // when its lease runs out, and someone must be there to run them. So the last workers wait for the stragglers
    // (polling) instead of leaving them behind.
    private async Task<bool> OthersRunningAsync(CancellationToken stop)
    {
        if (options.StudyId is not { } studyId || options.Ids is not null)
        {
            // A worker given a subset (--where) runs that subset; the rest of the study is not its business.
            return false;
        }
        // A cheap question (the index of running trials), asked at the pace of the idle worker's backed-off polls, so
        // the last workers leave soon after the last straggler without a thousand idle workers counting big studies.
        try
        {
            return await store.HasRunningTrialsAsync(studyId, stop).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            return !health.OutOfReach(options.Lease);
        }
    }

    // Wake when a trial is released (a slot is free, or a retry went back to pending), when the store announces new
    // work (when it can, and there is room for it), or after the poll interval.
    private async Task IdleAsync(bool room, CancellationToken stop)
    {
        if (!room)
        {
            await held.WaitForReleaseAsync(options.PollInterval, stop).ConfigureAwait(false);
            return;
        }
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var wait = IdleWait();
        var slotFree = held.WaitForReleaseAsync(wait, either.Token);
        var newWork = store.WaitForWorkAsync(wait, either.Token);
        await Task.WhenAny(slotFree, newWork).ConfigureAwait(false);
        await either.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(slotFree, newWork).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        stop.ThrowIfCancellationRequested();
    }

    // Backed off while nothing is found; announced work and a freed slot still wake the worker at once.
    private TimeSpan IdleWait() => IdleBackoff.Next(_emptyClaims, options, Random.Shared.NextDouble());
}
