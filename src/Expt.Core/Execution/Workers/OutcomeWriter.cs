using System.Threading.Channels;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution.Workers;

/// <summary>
/// Writes outcomes to the store in batches, retried with backoff while the store is briefly out of reach, spooled
/// to disk when it cannot be written; then releases the trials and reports each to the observer.
/// </summary>
internal sealed class OutcomeWriter(IExptStore store, WorkerOptions options, TimeProvider time, IWorkerObserver? observer, HeldTrials held, StoreHealth health, WorkerCounters counters, LeaseKeeper leases, ReplicationAdvancer advancer)
{
    private readonly MemoryLearner _learner = new(store, options, health);

    /// <summary>The most outcomes written in one call to the store.</summary>
    private const int MaxBatch = 4000;

    /// <summary>Writes until <paramref name="done"/> is complete.</summary>
    public async Task RunAsync(ChannelReader<FinishedTrial> done)
    {
        var batch = new List<FinishedTrial>();
        while (await done.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && done.TryRead(out var item))
            {
                batch.Add(item);
            }
            var accepted = await WriteAsync(batch).ConfigureAwait(false);
            // Before the trials are released (and the claim loop wakes): the next claims see what was learned.
            await _learner.LearnAsync(batch.Where((_, i) => accepted[i])).ConfigureAwait(false);
            if (health.Failure is null)
            {
                await advancer.AdvanceAsync(batch.Where((_, i) => accepted[i])).ConfigureAwait(false);
            }
            for (var index = 0; index < batch.Count; index++)
            {
                Report(batch[index], held.Release(batch[index].Context.Lease.TrialId), accepted[index]);
            }
            held.Released();
        }
    }

    // Which outcomes the store took: completions written (or spooled), trials given back; the rest are not written.
    private async Task<bool[]> WriteAsync(List<FinishedTrial> batch)
    {
        var toComplete = new List<(int Index, TrialCompletion Completion)>(batch.Count);
        var toGiveBack = new List<TrialLease>();
        var accepted = new bool[batch.Count];
        for (var index = 0; index < batch.Count; index++)
        {
            var finished = batch[index];
            held.TryGet(finished.Context.Lease.TrialId, out var trial);
            var lease = trial?.Lease ?? finished.Context.Lease;
            if (trial is { Abandoned: true })
            {
                continue; // Its lease is presumed taken: the store may not hear from this attempt.
            }
            if (trial is { GiveBack: true } && finished.Outcome.Status != TrialStatus.Completed)
            {
                toGiveBack.Add(lease);
                continue;
            }
            if (trial is { CancelledInStore: true })
            {
                continue; // The store has it as cancelled already.
            }
            toComplete.Add((index, new TrialCompletion(lease, finished.Outcome)));
        }
        if (toComplete.Count > 0)
        {
            var written = await CompleteWithRetryAsync([.. toComplete.Select(c => c.Completion)]).ConfigureAwait(false);
            for (var i = 0; i < toComplete.Count; i++)
            {
                accepted[toComplete[i].Index] = written is not null && written[i];
            }
            if (written is not null && written.Contains(false))
            {
                // A trial too quick for the watch: its completion was refused because it was cancelled meanwhile.
                await leases.StopCancelledAsync([.. toComplete.Where((_, i) => !written[i]).Select(c => batch[c.Index].Context.Lease.TrialId)]).ConfigureAwait(false);
            }
        }
        if (toGiveBack.Count > 0)
        {
            await GiveBackAsync(toGiveBack).ConfigureAwait(false);
        }
        return accepted;
    }

    private void Report(FinishedTrial finished, HeldTrial? trial, bool accepted)
    {
        var (context, outcome) = (finished.Context, finished.Outcome);
        if (trial is { GiveBack: true } && outcome.Status != TrialStatus.Completed)
        {
            counters.GivenBack();
            var why = trial.StoppedForMemory ? "given back to the queue: the machine ran short of memory (the memory guard stopped the youngest trial)" : "given back to the queue";
            observer?.TrialFinished(context, outcome with { Status = TrialStatus.Pending, Error = why }, accepted: true);
            return;
        }
        if (trial is { CancelledInStore: true })
        {
            counters.CancelledInStore();
            observer?.TrialFinished(context, outcome with { Status = TrialStatus.Cancelled, Error = Worker.CancelledByUser }, accepted: true);
            return;
        }
        if (accepted)
        {
            counters.Finished(outcome.Status);
        }
        else
        {
            counters.Refused();
        }
        observer?.TrialFinished(context, outcome, accepted);
    }

    private async Task GiveBackAsync(List<TrialLease> leases)
    {
        try
        {
            await store.ReleaseAsync(leases, ReleaseMode.Requeue, CancellationToken.None).ConfigureAwait(false);
            health.Contact();
        }
        catch (StoreUnavailableException)
        {
            // Unreachable: the leases run out and the trials return to the queue anyway, only later.
        }
    }

    private async Task<IReadOnlyList<bool>?> CompleteWithRetryAsync(List<TrialCompletion> completions)
    {
        if (health.Failure is not null)
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
                var accepted = await store.CompleteAsync(completions, CancellationToken.None).ConfigureAwait(false);
                health.Contact();
                return accepted;
            }
            catch (StoreUnavailableException) when (!health.OutOfReach(options.Lease * 2))
            {
            }
            catch (StoreUnavailableException)
            {
                // Not written: their leases run out and the trials run again elsewhere. Nothing is recorded twice.
                health.MarkLost();
                return null;
            }
            catch (Exception) when (attempt < 3)
            {
            }
            catch (Exception ex)
            {
                // The store cannot be written (a full disk, a failing file): stop claiming, keep the outcomes in the
                // spool for the next run to record, and keep doing so for the trials still running.
                await health.BreakAsync(ex).ConfigureAwait(false);
                return Spool(completions);
            }
            await Task.Delay(delay, time, CancellationToken.None).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>Keeps outcomes the store could not take; reported as accepted (they will be recorded), unless none could be kept.</summary>
    private bool[] Spool(List<TrialCompletion> completions)
    {
        var kept = new bool[completions.Count];
        for (var i = 0; i < completions.Count; i++)
        {
            kept[i] = options.Spool?.TryAdd(completions[i]) ?? false;
            counters.Spool(kept[i]);
        }
        return kept;
    }
}
