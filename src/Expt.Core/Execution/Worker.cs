using System.Collections.Concurrent;
using System.Threading.Channels;
using Expt.Spec;
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
public sealed class Worker
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

    private async Task SlotAsync(int slot, ChannelReader<TrialLease> ready, ChannelWriter<Done> done, CancellationToken stop)
    {
        await foreach (var lease in ready.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested || !_inFlight.TryGetValue(lease.TrialId, out var item) || item.Cancellation.IsCancellationRequested)
            {
                _unstarted.Enqueue(lease);
                _inFlight.TryRemove(lease.TrialId, out _);
                continue;
            }
            item.Started = true;
            var context = new TrialContext(lease, ParamSet.FromJson(lease.ParamsJson), TrialDirectories.TrialPath(_store.RunsDirectory, lease.StudyName, lease.TrialId), slot)
            {
                AppendMetrics = points => _store.AppendMetricsAsync(lease, points, CancellationToken.None),
                Scrubber = _options.Scrubber,
            };
            _observer?.TrialStarted(context);
            var startedAt = _time.GetTimestamp();
            TrialOutcome outcome;
            try
            {
                outcome = await _executorFor(lease).ExecuteAsync(context, item.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Executors report a trial's own failures as outcomes; this is a fault of the executor itself.
                outcome = new TrialOutcome(item.Cancellation.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Failed, _time.GetElapsedTime(startedAt), Error: $"the trial could not be run: {ex.Message}");
            }
            if (outcome is { Status: TrialStatus.Failed, ExitCode: 129 or 130 or 137 or 143 } && !item.Cancellation.IsCancellationRequested)
            {
                outcome = await AfterSignalAsync(item, outcome).ConfigureAwait(false);
            }
            if (_options.KeepFilesUpTo is { } limit && !item.Cancellation.IsCancellationRequested)
            {
                outcome = outcome with { Files = CollectFiles(context.TrialDirectory, limit, _options.KeepFilesTotal) };
            }
            outcome = Scrub(outcome);
            var ms = outcome.Duration.TotalMilliseconds;
            _averageMs = (_averageMs * 0.9) + (ms * 0.1);
            done.TryWrite(new Done(context, outcome));
        }
    }

    // The trial's process died of a signal nobody here sent. When its batch job is being cancelled or requeued, the
    // same signal reaches this worker a moment later: wait for it briefly, so the trial goes back to the queue (or
    // ends cancelled) rather than failing for something it did not do.
    private async Task<TrialOutcome> AfterSignalAsync(InFlight item, TrialOutcome outcome)
    {
        try
        {
            await Task.Delay(_options.SignalGrace, _time, item.Cancellation.Token).ConfigureAwait(false);
            return outcome;
        }
        catch (OperationCanceledException)
        {
            return item.GiveBack ? outcome : outcome with { Status = TrialStatus.Cancelled, Error = "cancelled; " + outcome.Error };
        }
    }

    /// <summary>
    /// What a trial hands back, with secrets masked before it reaches the store: known secret values anywhere (a
    /// trial echoing its password), and secret patterns (URL passwords, --password X) in its error text.
    /// </summary>
    private TrialOutcome Scrub(TrialOutcome outcome)
    {
        var scrubber = _options.Scrubber;
        var error = outcome.Error is null ? null : Provenance.Redactor.RedactText(scrubber.Scrub(outcome.Error));
        if (scrubber.Count == 0)
        {
            return error == outcome.Error ? outcome : outcome with { Error = error };
        }
        return outcome with
        {
            Error = error,
            ResultsJson = outcome.ResultsJson is null ? null : scrubber.Scrub(outcome.ResultsJson),
            Files = outcome.Files.Select(f => f with { Content = scrubber.Scrub(f.Content.ToArray()) }).ToList(),
        };
    }

    private static List<TrialFile> CollectFiles(string directory, long limit, long total)
    {
        var files = new List<TrialFile>();
        // Regular files only, bounded: a link is never followed (a link to /etc/shadow is not copied into the store).
        // Smallest first, so one huge artifact cannot crowd out the logs.
        foreach (var file in TrialFiles.List(directory).Entries.Where(e => e.Kind == TrialFileKind.File).OrderBy(e => e.Length))
        {
            if (file.Length > limit || file.Length > total)
            {
                continue;
            }
            try
            {
                if (TrialFiles.ReadBounded(Path.Combine(directory, file.Path), limit, out _) is { } content)
                {
                    files.Add(new TrialFile(file.Path, content));
                    total -= content.Length;
                }
            }
            catch (IOException)
            {
                // Deleted or locked meanwhile: it stays on disk only.
            }
        }
        return files;
    }

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
