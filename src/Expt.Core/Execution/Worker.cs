using System.Threading.Channels;
using Expt.Execution.Workers;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// The worker loop, the same for every mode: claim trials under a lease, run them in <see cref="WorkerOptions.Slots"/>
/// slots, renew leases by heartbeat, and write outcomes in batches. A trial's outcome stays with the worker until
/// the store confirms it; one trial's failure never stops the others.
/// </summary>
/// <remarks>
/// Stopping: cancelling the <c>stop</c> token ends claiming and gives back trials claimed but not started; running
/// trials finish. Cancelling the <c>abort</c> token also interrupts running trials, which end as cancelled.
/// Cancelling the <c>preempt</c> token (SIGTERM, or Slurm's warning before preemption) interrupts running trials and
/// gives them back to the queue at once, their attempt not counted. When the store cannot be reached for longer than
/// a lease, the worker's leases are as good as lost: it interrupts its trials, leaves them to the lease expiry, and
/// stops with <see cref="StoreUnavailableException"/>.
/// </remarks>
public sealed class Worker
{
    /// <summary>What a trial cancelled in the store while it ran reports.</summary>
    public const string CancelledByUser = "cancelled by expt cancel";

    private readonly IExptStore _store;
    private readonly Func<TrialLease, ITrialExecutor> _executorFor;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly IWorkerObserver? _observer;

    /// <summary>Creates a worker.</summary>
    /// <param name="store">Where trials come from and outcomes go.</param>
    /// <param name="executorFor">The executor for a claimed trial (by its study).</param>
    /// <param name="options">Slots, leases, limits.</param>
    /// <param name="time">The clock.</param>
    /// <param name="observer">Progress listener.</param>
    public Worker(IExptStore store, Func<TrialLease, ITrialExecutor> executorFor, WorkerOptions options, TimeProvider? time = null, IWorkerObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(executorFor);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Slots, 1);
        _store = store;
        _executorFor = executorFor;
        _options = options;
        _time = time ?? TimeProvider.System;
        _observer = observer;
    }

    /// <summary>Runs until there is nothing left to do, <paramref name="stop"/> is cancelled, or the trial limit is reached.</summary>
    public Task<WorkerReport> RunAsync(CancellationToken stop, CancellationToken abort) => RunAsync(stop, abort, CancellationToken.None);

    /// <summary>Runs until there is nothing left to do, a token is cancelled, or the trial limit is reached.</summary>
    /// <param name="stop">Stop claiming; running trials finish.</param>
    /// <param name="abort">Interrupt running trials; they end as cancelled.</param>
    /// <param name="preempt">Interrupt running trials and give them back to the queue.</param>
    /// <remarks>
    /// The parts, each a type of its own sharing the held trials: <see cref="ClaimLoop"/> claims into a channel,
    /// <see cref="TrialSlots"/> run what it claimed, <see cref="OutcomeWriter"/> writes what they finished,
    /// <see cref="LeaseKeeper"/> renews leases and watches for cancellations, <see cref="StoreHealth"/> and
    /// <see cref="WorkerCounters"/> keep what they learn.
    /// </remarks>
    public async Task<WorkerReport> RunAsync(CancellationToken stop, CancellationToken abort, CancellationToken preempt)
    {
        var held = new HeldTrials(_options.Resources);
        using var health = new StoreHealth(_time);
        var counters = new WorkerCounters();
        var leases = new LeaseKeeper(_store, _options, _time, held, health);
        using var advancer = new ReplicationAdvancer(_store, _options, health);
        var claims = new ClaimLoop(_store, _options, _time, held, health, counters, advancer);
        var slots = new TrialSlots(_store, _executorFor, _options, _time, _observer, held, counters);
        var writer = new OutcomeWriter(_store, _options, _time, _observer, held, health, counters, leases, advancer);
        var guard = new MemoryGuard(_options, _time, held, counters);

        // Aborting and preempting imply stopping; so does a store that cannot be written.
        // A study whose rules cannot decide anything stops claiming too: nothing more is worth running.
        using var stopOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stop, abort, preempt, health.Broken, advancer.Halted);
        stop = stopOrAbort.Token;
        var startedAt = _time.GetTimestamp();
        var ready = Channel.CreateUnbounded<TrialLease>(new UnboundedChannelOptions { SingleWriter = true });
        var done = Channel.CreateUnbounded<FinishedTrial>(new UnboundedChannelOptions { SingleReader = true });
        using var keeperStop = new CancellationTokenSource();
        using var abortRegistration = abort.Register(() => held.Interrupt(giveBack: false));
        using var preemptRegistration = preempt.Register(() => held.Interrupt(giveBack: true));

        var running = Enumerable.Range(0, _options.Slots).Select(slot => Task.Run(() => slots.RunAsync(slot, ready.Reader, done.Writer, stop), CancellationToken.None)).ToArray();
        var writing = Task.Run(() => writer.RunAsync(done.Reader), CancellationToken.None);
        var heartbeat = Task.Run(() => leases.HeartbeatAsync(keeperStop.Token), CancellationToken.None);
        var watch = Task.Run(() => leases.WatchCancellationsAsync(keeperStop.Token), CancellationToken.None);
        var guarding = Task.Run(() => guard.RunAsync(keeperStop.Token), CancellationToken.None);
        Exception? failure = null;
        try
        {
            await claims.RunAsync(ready.Writer, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The store failed: stop claiming, but let running trials finish and record them (when the store is
            // unreachable the heartbeat has interrupted them already; when it cannot be written, they are spooled).
            failure = ex;
            if (ex is not StoreUnavailableException)
            {
                health.RecordFailure(ex);
            }
        }
        ready.Writer.TryComplete();
        await Task.WhenAll(running).ConfigureAwait(false);
        done.Writer.TryComplete();
        await writing.ConfigureAwait(false);
        await keeperStop.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        await guarding.ConfigureAwait(false);
        var unstarted = held.TakeUnstarted();
        if (unstarted.Count > 0 && !health.Lost)
        {
            try
            {
                await _store.ReleaseAsync(unstarted, ReleaseMode.Requeue, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StoreUnavailableException || health.Failure is not null)
            {
                // Their leases run out (or the next runner here gives them back): nothing is lost, only delayed.
            }
        }
        if (health.Failure is { } storeFailure)
        {
            throw new StoreFailedException(storeFailure.Message, storeFailure) { Kept = counters.Spooled, Lost = counters.Unkept, SpoolPath = _options.Spool?.Path };
        }
        if (failure is StoreUnavailableException unavailable)
        {
            throw new StoreUnavailableException(
                $"the store was unreachable for longer than a lease ({_options.Lease.TotalSeconds:0.#} s; last error: {unavailable.Message}); " +
                "this worker stopped its trials, which return to the queue when their leases run out", unavailable);
        }
        if (failure is not null)
        {
            throw new InvalidOperationException($"the store failed: {failure.Message}", failure);
        }
        return counters.Report(_time.GetElapsedTime(startedAt), unstarted.Count) with { Problem = advancer.Problem };
    }
}
