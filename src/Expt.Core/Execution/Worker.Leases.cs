using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

// The leases: heartbeats that keep them, and the watch for trials cancelled in the store.
public sealed partial class Worker
{
    /// <summary>
    /// Every <see cref="WorkerOptions.CancelCheck"/>, asks the store whether a running trial was cancelled
    /// (<c>expt cancel</c>, the dashboard), and stops it: a read of a few rows, where waiting for the next heartbeat
    /// would let a cancelled trial run on for up to ten seconds.
    /// </summary>
    private async Task WatchCancellationsAsync(CancellationToken cancellationToken)
    {
        if (_options.CancelCheck <= TimeSpan.Zero)
        {
            return;
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CancelCheck, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var running = _inFlight.Values.Where(h => h.Started && !h.Abandoned && !h.CancelledInStore).Select(h => h.Lease.TrialId).Take(1000).ToList();
            if (running.Count == 0)
            {
                continue;
            }
            try
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(_options.CancelCheck * 4);
                await MarkCancelledInStoreAsync(running, bounded.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The heartbeat judges outages; a missed look here only delays a cancellation.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task MarkCancelledInStoreAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TrialRecord> records;
        try
        {
            records = await _store.ListTrialsAsync(new TrialFilter { Ids = ids, PreviewChars = 0 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return;
        }
        foreach (var record in records.Where(r => r.Status == TrialStatus.Cancelled))
        {
            if (_inFlight.TryGetValue(record.Id, out var item) && !item.CancelledInStore)
            {
                item.CancelledInStore = true;
                Cancel(item);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Heartbeat, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var held = _inFlight.Values.Where(h => !h.Abandoned).ToList();
            if (held.Count == 0)
            {
                continue;
            }
            IReadOnlyList<string> lost;
            try
            {
                // A beat that takes longer than the interval is as good as missed: give up on it and judge the outage.
                using var bounded = new CancellationTokenSource(_options.Heartbeat);
                lost = await _store.HeartbeatAsync(held.Select(h => h.Lease).ToList(), _options.Lease, bounded.Token).ConfigureAwait(false);
                Contact();
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A missed beat is not fatal, the lease is longer than the interval; but once the store has been out
                // of reach for a whole lease, others may hold these trials: stop running them.
                // (A store that answers but cannot be written is not out of reach: its trials finish and are spooled.)
                if (OutOfReach(_options.Lease) && _storeFailure is null)
                {
                    _storeLost = true;
                    foreach (var item in held)
                    {
                        item.Abandoned = true;
                        Cancel(item);
                    }
                }
                continue;
            }
            foreach (var id in lost)
            {
                // Cancelled, reset, or expired and taken by another worker: stop running it here.
                if (_inFlight.TryGetValue(id, out var item))
                {
                    Cancel(item);
                }
            }
        }
    }

    private static void Cancel(InFlight item)
    {
        try
        {
            item.Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
