using System.Threading.Channels;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

// The writer: outcomes to the store in batches, retried, spooled to disk when the store is out of reach.
public sealed partial class Worker
{
    private async Task WriterAsync(ChannelReader<Done> done)
    {
        var batch = new List<Done>();
        while (await done.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 4000 && done.TryRead(out var item))
            {
                batch.Add(item);
            }
            var toComplete = new List<(int Index, TrialCompletion Completion)>(batch.Count);
            var toGiveBack = new List<TrialLease>();
            var outcomes = new bool[batch.Count];
            for (var index = 0; index < batch.Count; index++)
            {
                var d = batch[index];
                _inFlight.TryGetValue(d.Context.Lease.TrialId, out var flight);
                var lease = flight?.Lease ?? d.Context.Lease;
                if (flight is { Abandoned: true })
                {
                    continue; // Its lease is presumed taken: the store may not hear from this attempt.
                }
                if (flight is { GiveBack: true } && d.Outcome.Status != TrialStatus.Completed)
                {
                    toGiveBack.Add(lease);
                    continue;
                }
                if (flight is { CancelledInStore: true })
                {
                    continue; // The store has it as cancelled already.
                }
                toComplete.Add((index, new TrialCompletion(lease, d.Outcome)));
            }
            if (toComplete.Count > 0)
            {
                var accepted = await CompleteWithRetryAsync(toComplete.Select(c => c.Completion).ToList()).ConfigureAwait(false);
                for (var i = 0; i < toComplete.Count; i++)
                {
                    outcomes[toComplete[i].Index] = accepted is not null && accepted[i];
                }
                if (accepted is not null && accepted.Contains(false))
                {
                    // A trial too quick for the watch: its completion was refused because it was cancelled meanwhile.
                    await MarkCancelledInStoreAsync(toComplete.Where((_, i) => !accepted[i]).Select(c => batch[c.Index].Context.Lease.TrialId).ToList()).ConfigureAwait(false);
                }
            }
            if (toGiveBack.Count > 0)
            {
                await GiveBackAsync(toGiveBack).ConfigureAwait(false);
            }
            for (var index = 0; index < batch.Count; index++)
            {
                var (context, outcome) = (batch[index].Context, batch[index].Outcome);
                var accepted = outcomes[index];
                if (_inFlight.TryRemove(context.Lease.TrialId, out var item))
                {
                    item.Cancellation.Dispose();
                }
                if (item is { GiveBack: true } && outcome.Status != TrialStatus.Completed)
                {
                    Interlocked.Increment(ref _givenBack);
                    _observer?.TrialFinished(context, outcome with { Status = TrialStatus.Pending, Error = "given back to the queue" }, accepted: true);
                    continue;
                }
                if (item is { CancelledInStore: true })
                {
                    _tally.Add(TrialStatus.Cancelled);
                    Interlocked.Increment(ref _cancelledInStore);
                    _observer?.TrialFinished(context, outcome with { Status = TrialStatus.Cancelled, Error = CancelledByUser }, accepted: true);
                    continue;
                }
                if (!accepted)
                {
                    Interlocked.Increment(ref _refused);
                }
                else
                {
                    _tally.Add(outcome.Status);
                }
                _observer?.TrialFinished(context, outcome, accepted);
            }
            _wake.Release();
        }
    }

    private async Task GiveBackAsync(List<TrialLease> leases)
    {
        try
        {
            await _store.ReleaseAsync(leases, ReleaseMode.Requeue, CancellationToken.None).ConfigureAwait(false);
            Contact();
        }
        catch (StoreUnavailableException)
        {
            // Unreachable: the leases run out and the trials return to the queue anyway, only later.
        }
    }

    private async Task<IReadOnlyList<bool>?> CompleteWithRetryAsync(List<TrialCompletion> completions)
    {
        if (_storeFailure is not null)
        {
            return Spool(completions);
        }
        // Outcomes are kept until the store confirms them: retry with backoff rather than drop a result, for as long
        // as a lease lasts twice over (a completion whose lease was not taken meanwhile is still accepted).
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var accepted = await _store.CompleteAsync(completions, CancellationToken.None).ConfigureAwait(false);
                Contact();
                return accepted;
            }
            catch (StoreUnavailableException) when (!OutOfReach(_options.Lease * 2))
            {
            }
            catch (StoreUnavailableException)
            {
                // Not written: their leases run out and the trials run again elsewhere. Nothing is recorded twice.
                _storeLost = true;
                return null;
            }
            catch (Exception) when (attempt < 3)
            {
            }
            catch (Exception ex)
            {
                // The store cannot be written (a full disk, a failing file): stop claiming, keep the outcomes in the
                // spool for the next run to record, and keep doing so for the trials still running.
                _storeFailure ??= ex;
                await _storeBroken.CancelAsync().ConfigureAwait(false);
                return Spool(completions);
            }
            await Task.Delay(delay, _time, CancellationToken.None).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>Keeps outcomes the store could not take; reported as accepted (they will be recorded), unless none could be kept.</summary>
    private IReadOnlyList<bool> Spool(List<TrialCompletion> completions)
    {
        var kept = new bool[completions.Count];
        for (var i = 0; i < completions.Count; i++)
        {
            kept[i] = _options.Spool?.TryAdd(completions[i]) ?? false;
            Interlocked.Increment(ref kept[i] ? ref _spooled : ref _unkept);
        }
        return kept;
    }

    /// <summary>What a trial cancelled in the store while it ran reports.</summary>
    public const string CancelledByUser = "cancelled by expt cancel";
}
