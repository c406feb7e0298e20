using System.Threading.Channels;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution.Workers;

/// <summary>
/// The slots: each runs one claimed trial at a time through its executor, then scrubs its outcome of secrets and
/// collects its files for the writer. A trial's failure is its outcome; an executor's own fault becomes one too.
/// </summary>
internal sealed class TrialSlots(IExptStore store, Func<TrialLease, ITrialExecutor> executorFor, WorkerOptions options, TimeProvider time, IWorkerObserver? observer, HeldTrials held, WorkerCounters counters)
{
    /// <summary>Runs slot <paramref name="slot"/> until <paramref name="ready"/> is complete; after <paramref name="stop"/>, leases are handed back unstarted.</summary>
    public async Task RunAsync(int slot, ChannelReader<TrialLease> ready, ChannelWriter<FinishedTrial> done, CancellationToken stop)
    {
        await foreach (var lease in ready.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested || !held.TryGet(lease.TrialId, out var item) || item.Cancellation.IsCancellationRequested)
            {
                held.NotStarted(lease);
                continue;
            }
            if (options.Resources is { } pool && !item.Grant.Needs.IsNone)
            {
                // Claimed ahead of free capacity (short trials): it starts when its cores and memory are free.
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop, item.Cancellation.Token);
                try
                {
                    await pool.StartAsync(item.Grant, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    held.NotStarted(lease);
                    continue;
                }
                item.Running = true;
            }
            item.StartedAt = time.GetTimestamp();
            item.Started = true;
            var context = new TrialContext(lease, ParamSet.FromJson(lease.ParamsJson), TrialDirectories.TrialPath(store.RunsDirectory, lease.StudyName, lease.TrialId), slot)
            {
                // Metrics a C# trial streams while it runs take the same way to the store as every other output: masked.
                AppendMetrics = points => store.AppendMetricsAsync(lease, OutcomeScrubber.Metrics(points, options.Scrubber), CancellationToken.None),
                Scrubber = options.Scrubber,
                Grant = item.Grant,
            };
            observer?.TrialStarted(context);
            var startedAt = time.GetTimestamp();
            TrialOutcome outcome;
            try
            {
                outcome = await executorFor(lease).ExecuteAsync(context, item.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Executors report a trial's own failures as outcomes; this is a fault of the executor itself.
                outcome = new TrialOutcome(item.Cancellation.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Failed, time.GetElapsedTime(startedAt), Error: $"the trial could not be run: {ex.Message}");
            }
            if (item.Running && options.Resources is { } started)
            {
                // Its processes are gone: the next trial may start now, not once this outcome is written.
                started.Stopped(item.Grant);
                item.Running = false;
            }
            if (outcome is { Status: TrialStatus.Failed, ExitCode: 129 or 130 or 137 or 143 } && !item.Cancellation.IsCancellationRequested)
            {
                outcome = await AfterSignalAsync(item, outcome).ConfigureAwait(false);
            }
            // An artifact named after a secret is renamed before anything lists or keeps it.
            outcome = OutcomeScrubber.RenameFiles(context.TrialDirectory, outcome, options.Scrubber);
            if (options.KeepFilesUpTo is { } limit && !item.Cancellation.IsCancellationRequested)
            {
                outcome = outcome with { Files = TrialFileCollector.Collect(context.TrialDirectory, limit, options.KeepFilesTotal) };
            }
            outcome = OutcomeScrubber.Scrub(outcome, options.Scrubber);
            counters.Timed(outcome.Duration);
            done.TryWrite(new FinishedTrial(context, outcome));
        }
    }

    // The trial's process died of a signal nobody here sent. When its batch job is being cancelled or requeued, the
    // same signal reaches this worker a moment later: wait for it briefly, so the trial goes back to the queue (or
    // ends cancelled) rather than failing for something it did not do.
    private async Task<TrialOutcome> AfterSignalAsync(HeldTrial item, TrialOutcome outcome)
    {
        try
        {
            await Task.Delay(options.SignalGrace, time, item.Cancellation.Token).ConfigureAwait(false);
            return outcome;
        }
        catch (OperationCanceledException)
        {
            return item.GiveBack ? outcome : outcome with { Status = TrialStatus.Cancelled, Error = "cancelled; " + outcome.Error };
        }
    }
}
