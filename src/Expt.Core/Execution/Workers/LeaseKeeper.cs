using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution.Workers;

/// <summary>
/// Keeps a worker's leases: heartbeats renew them (a trial whose lease is lost is stopped here), a store out of
/// reach for a whole lease abandons them, and a frequent look at the store stops trials cancelled there.
/// </summary>
internal sealed class LeaseKeeper(IExptStore store, WorkerOptions options, TimeProvider time, HeldTrials held, StoreHealth health)
{
    /// <summary>Renews the held leases every <see cref="WorkerOptions.Heartbeat"/> until cancelled.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Heartbeat, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var beating = held.All.Where(h => !h.Abandoned).ToList();
            if (beating.Count == 0)
            {
                continue;
            }
            IReadOnlyList<string> lost;
            try
            {
                // A beat that takes longer than the interval is as good as missed: give up on it and judge the outage.
                using var bounded = new CancellationTokenSource(options.Heartbeat);
                lost = await store.HeartbeatAsync(beating.Select(h => h.Lease).ToList(), options.Lease, bounded.Token).ConfigureAwait(false);
                health.Contact();
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A missed beat is not fatal, the lease is longer than the interval; but once the store has been out
                // of reach for a whole lease, others may hold these trials: stop running them.
                // (A store that answers but cannot be written is not out of reach: its trials finish and are spooled.)
                if (health.OutOfReach(options.Lease) && health.Failure is null)
                {
                    health.MarkLost();
                    foreach (var item in beating)
                    {
                        item.Abandoned = true;
                        item.Cancel();
                    }
                }
                continue;
            }
            catch (Exception)
            {
                // The worker is stopping (a beat cut short by its own bound as the keeper stops): nothing left to keep.
                return;
            }
            foreach (var id in lost)
            {
                // Cancelled, reset, or expired and taken by another worker: stop running it here.
                if (held.TryGet(id, out var item))
                {
                    item.Cancel();
                }
            }
        }
    }

    /// <summary>
    /// Every <see cref="WorkerOptions.CancelCheck"/>, asks the store whether a running trial was cancelled
    /// (<c>expt cancel</c>, the dashboard), and stops it: a read of a few rows, where waiting for the next heartbeat
    /// would let a cancelled trial run on for up to ten seconds.
    /// </summary>
    public async Task WatchCancellationsAsync(CancellationToken cancellationToken)
    {
        if (options.CancelCheck <= TimeSpan.Zero)
        {
            return;
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CancelCheck, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var running = held.All.Where(h => h.Started && !h.Abandoned && !h.CancelledInStore).Select(h => h.Lease.TrialId).Take(1000).ToList();
            if (running.Count == 0)
            {
                continue;
            }
            try
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(options.CancelCheck * 4);
                await StopCancelledAsync(running, bounded.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The heartbeat judges outages; a missed look here only delays a cancellation.
            }
            catch (Exception)
            {
                return; // the worker is stopping
            }
        }
    }

    /// <summary>Stops those of <paramref name="ids"/> the store has as cancelled, and marks them so nothing is written for them.</summary>
    public async Task StopCancelledAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TrialRecord> records;
        try
        {
            records = await store.ListTrialsAsync(new TrialFilter { Ids = ids, PreviewChars = 0 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return;
        }
        foreach (var record in records.Where(r => r.Status == TrialStatus.Cancelled))
        {
            if (held.TryGet(record.Id, out var item) && !item.CancelledInStore)
            {
                item.CancelledInStore = true;
                item.Cancel();
            }
        }
    }
}
