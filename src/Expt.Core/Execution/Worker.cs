using System.Collections.Concurrent;
using System.Threading.Channels;
using Expt.Storage;
using Expt.Trials;

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
public sealed partial class Worker
{
    private readonly IExptStore _store;
    private readonly Func<TrialLease, ITrialExecutor> _executorFor;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly IWorkerObserver? _observer;
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<TrialLease> _unstarted = new();
    private double _averageMs = 1000;
    private long _lastContact;
    private volatile bool _storeLost;
    // Set when the store cannot be written (disk full, ...): claiming stops, outcomes go to the spool.
    private volatile Exception? _storeFailure;
    private readonly CancellationTokenSource _storeBroken = new();
    private int _spooled, _unkept;
    private bool _othersRunning;
    private long _othersCheckedAt;
    private readonly OutcomeTally _tally = new();
    private int _refused, _givenBack, _cancelledInStore;

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
    public async Task<WorkerReport> RunAsync(CancellationToken stop, CancellationToken abort, CancellationToken preempt)
    {
        // Aborting and preempting imply stopping; so does a store that cannot be written.
        using var stopOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stop, abort, preempt, _storeBroken.Token);
        stop = stopOrAbort.Token;
        _lastContact = _time.GetTimestamp();
        var startedAt = _time.GetTimestamp();
        var ready = Channel.CreateUnbounded<TrialLease>(new UnboundedChannelOptions { SingleWriter = true });
        var done = Channel.CreateUnbounded<Done>(new UnboundedChannelOptions { SingleReader = true });
        using var heartbeatStop = new CancellationTokenSource();
        using var abortRegistration = abort.Register(() => Interrupt(giveBack: false));
        using var preemptRegistration = preempt.Register(() => Interrupt(giveBack: true));

        var slots = Enumerable.Range(0, _options.Slots).Select(slot => Task.Run(() => SlotAsync(slot, ready.Reader, done.Writer, stop), CancellationToken.None)).ToArray();
        var writer = Task.Run(() => WriterAsync(done.Reader), CancellationToken.None);
        var heartbeat = Task.Run(() => HeartbeatAsync(heartbeatStop.Token), CancellationToken.None);
        var watch = Task.Run(() => WatchCancellationsAsync(heartbeatStop.Token), CancellationToken.None);
        Exception? failure = null;
        try
        {
            await ClaimLoopAsync(ready.Writer, stop).ConfigureAwait(false);
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
                _storeFailure ??= ex;
            }
        }
        ready.Writer.TryComplete();
        await Task.WhenAll(slots).ConfigureAwait(false);
        done.Writer.TryComplete();
        await writer.ConfigureAwait(false);
        await heartbeatStop.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        var unstarted = new List<TrialLease>();
        while (_unstarted.TryDequeue(out var lease))
        {
            unstarted.Add(lease);
        }
        if (unstarted.Count > 0 && !_storeLost)
        {
            try
            {
                await _store.ReleaseAsync(unstarted, ReleaseMode.Requeue, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StoreUnavailableException || _storeFailure is not null)
            {
                // Their leases run out (or the next runner here gives them back): nothing is lost, only delayed.
            }
        }
        if (_storeFailure is { } storeFailure)
        {
            throw new StoreFailedException(storeFailure.Message, storeFailure) { Kept = _spooled, Lost = _unkept, SpoolPath = _options.Spool?.Path };
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
        return new WorkerReport(_tally.Completed, _tally.Failed, _tally.TimedOut, _tally.Cancelled, _refused, _time.GetElapsedTime(startedAt))
        {
            GivenBack = _givenBack + unstarted.Count,
            CancelledInStore = _cancelledInStore,
        };
    }

    private void Interrupt(bool giveBack)
    {
        foreach (var item in _inFlight.Values)
        {
            item.GiveBack |= giveBack;
            try
            {
                item.Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Contact() => Interlocked.Exchange(ref _lastContact, _time.GetTimestamp());

    /// <summary>True once the store has been out of reach for longer than a lease.</summary>
    private bool OutOfReach(TimeSpan budget) => _time.GetElapsedTime(Interlocked.Read(ref _lastContact)) > budget;

    private int Target()
    {
        // Short trials: claim ahead so the store sees one claim per batch, not one per trial.
        var extra = _averageMs < 50 ? (int)Math.Min(_options.MaxPrefetch, _options.Slots * 200.0 / Math.Max(_averageMs, 0.01)) : 0;
        return _options.Slots + extra;
    }

    private async Task ClaimLoopAsync(ChannelWriter<TrialLease> ready, CancellationToken stop)
    {
        var idleSince = (long?)null;
        var claimed = 0;
        while (!stop.IsCancellationRequested)
        {
            var remaining = _options.MaxTrials is { } max ? max - claimed : int.MaxValue;
            if (remaining <= 0)
            {
                break;
            }
            var capacity = Math.Min(Target() - _inFlight.Count, remaining);
            if (capacity > 0)
            {
                IReadOnlyList<TrialLease> leases;
                try
                {
                    // One claim may not outlast a lease, however long the store keeps retrying.
                    using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    bounded.CancelAfter(_options.Lease);
                    try
                    {
                        leases = await _store.ClaimAsync(new ClaimRequest(_options.Identity, capacity, _options.Lease, _options.StudyId, _options.ProvenanceJson) { RunId = _options.RunId, Ids = _options.Ids }, bounded.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException ex) when (!stop.IsCancellationRequested)
                    {
                        throw new StoreUnavailableException($"the store did not answer a claim within {_options.Lease.TotalSeconds:0.#} s", ex);
                    }
                    Contact();
                }
                catch (StoreUnavailableException) when (!OutOfReach(_options.Lease) && !stop.IsCancellationRequested)
                {
                    // The store is restarting or the network hiccupped: keep what runs, try again shortly.
                    await Task.Delay(_options.PollInterval, _time, stop).ConfigureAwait(false);
                    continue;
                }
                foreach (var lease in leases)
                {
                    _inFlight[lease.TrialId] = new InFlight(lease, new CancellationTokenSource());
                    ready.TryWrite(lease);
                }
                claimed += leases.Count;
                if (leases.Count > 0)
                {
                    idleSince = null;
                    if (leases.Count == capacity)
                    {
                        continue;
                    }
                }
                else if (_inFlight.IsEmpty)
                {
                    idleSince ??= _time.GetTimestamp();
                    if ((_options.IdleExit is not { } idle || _time.GetElapsedTime(idleSince.Value) >= idle) && !await OthersRunningAsync(stop).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            await IdleAsync(capacity > 0, stop).ConfigureAwait(false);
        }
    }

    // Nothing to claim, but trials of the study still run elsewhere: if their worker died, they return to the queue
    // when its lease runs out, and someone must be there to run them. So the last workers wait for the stragglers
    // (polling) instead of leaving them behind.
    private async Task<bool> OthersRunningAsync(CancellationToken stop)
    {
        if (_options.StudyId is not { } studyId || _options.Ids is not null)
        {
            // A worker given a subset (--where) runs that subset; the rest of the study is not its business.
            return false;
        }
        // Counting a big study is not free, and many idle workers may be asking: once something is known to run,
        // ask again only every few seconds (leases last much longer).
        if (_othersRunning && _time.GetElapsedTime(_othersCheckedAt) < TimeSpan.FromSeconds(5))
        {
            return true;
        }
        try
        {
            var counts = await _store.CountAsync(studyId, stop).ConfigureAwait(false);
            _othersCheckedAt = _time.GetTimestamp();
            return _othersRunning = counts.GetValueOrDefault(TrialStatus.Running) > 0;
        }
        catch (StoreUnavailableException)
        {
            return !OutOfReach(_options.Lease);
        }
    }

    // Wake when a trial is confirmed (a slot is free, or a retry went back to pending), when the store announces new
    // work (when it can, and there is room for it), or after the poll interval.
    private async Task IdleAsync(bool room, CancellationToken stop)
    {
        if (!room)
        {
            await _wake.WaitAsync(_options.PollInterval, stop).ConfigureAwait(false);
            return;
        }
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var slotFree = _wake.WaitAsync(_options.PollInterval, either.Token);
        var newWork = _store.WaitForWorkAsync(_options.PollInterval, either.Token);
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
}
