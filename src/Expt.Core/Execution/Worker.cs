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
    private int _completed, _failed, _timedOut, _cancelled, _refused, _started;

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
        public TrialLease Lease { get; set; } = lease;

        public CancellationTokenSource Cancellation { get; } = cancellation;
    }

    private sealed record Done(TrialContext Context, TrialOutcome Outcome);

    /// <summary>Runs until there is nothing left to do, <paramref name="stop"/> is cancelled, or the trial limit is reached.</summary>
    public async Task<WorkerReport> RunAsync(CancellationToken stop, CancellationToken abort)
    {
        // Aborting implies stopping.
        using var stopOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        stop = stopOrAbort.Token;
        var startedAt = _time.GetTimestamp();
        var ready = Channel.CreateUnbounded<TrialLease>(new UnboundedChannelOptions { SingleWriter = true });
        var done = Channel.CreateUnbounded<Done>(new UnboundedChannelOptions { SingleReader = true });
        using var heartbeatStop = new CancellationTokenSource();
        using var abortRegistration = abort.Register(() =>
        {
            foreach (var item in _inFlight.Values)
            {
                item.Cancellation.Cancel();
            }
        });

        var slots = Enumerable.Range(0, _options.Slots).Select(slot => Task.Run(() => SlotAsync(slot, ready.Reader, done.Writer, stop), CancellationToken.None)).ToArray();
        var writer = Task.Run(() => WriterAsync(done.Reader), CancellationToken.None);
        var heartbeat = Task.Run(() => HeartbeatAsync(heartbeatStop.Token), CancellationToken.None);
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
            // The store failed: stop claiming, but let running trials finish and record them.
            failure = ex;
        }
        ready.Writer.TryComplete();
        await Task.WhenAll(slots).ConfigureAwait(false);
        done.Writer.TryComplete();
        await writer.ConfigureAwait(false);
        await heartbeatStop.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        var unstarted = new List<TrialLease>();
        while (_unstarted.TryDequeue(out var lease))
        {
            unstarted.Add(lease);
        }
        if (unstarted.Count > 0)
        {
            await _store.ReleaseAsync(unstarted, ReleaseMode.Requeue, CancellationToken.None).ConfigureAwait(false);
        }
        if (failure is not null)
        {
            throw new InvalidOperationException($"the store failed: {failure.Message}", failure);
        }
        return new WorkerReport(_completed, _failed, _timedOut, _cancelled, _refused, _time.GetElapsedTime(startedAt));
    }

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
                var leases = await _store.ClaimAsync(new ClaimRequest(_options.Identity, capacity, _options.Lease, _options.StudyId, _options.ProvenanceJson), stop).ConfigureAwait(false);
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
                    if (_options.IdleExit is not { } idle || _time.GetElapsedTime(idleSince.Value) >= idle)
                    {
                        break;
                    }
                }
            }
            // Wake when a trial is confirmed (a slot is free, or a retry went back to pending), or poll.
            await _wake.WaitAsync(_options.PollInterval, stop).ConfigureAwait(false);
        }
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
            Interlocked.Increment(ref _started);
            var context = new TrialContext(lease, ParamSet.FromJson(lease.ParamsJson), Path.Combine(_store.RunsDirectory, lease.StudyName, lease.TrialId), slot)
            {
                AppendMetrics = points => _store.AppendMetricsAsync(lease, points, CancellationToken.None),
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
                outcome = new TrialOutcome(item.Cancellation.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Failed, _time.GetElapsedTime(startedAt), Error: ex.ToString());
            }
            var ms = outcome.Duration.TotalMilliseconds;
            _averageMs = (_averageMs * 0.9) + (ms * 0.1);
            done.TryWrite(new Done(context, outcome));
        }
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
            var completions = batch.Select(d => new TrialCompletion(_inFlight.TryGetValue(d.Context.Lease.TrialId, out var f) ? f.Lease : d.Context.Lease, d.Outcome)).ToList();
            var accepted = await CompleteWithRetryAsync(completions).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var (context, outcome) = (batch[i].Context, batch[i].Outcome);
                if (_inFlight.TryRemove(context.Lease.TrialId, out var item))
                {
                    item.Cancellation.Dispose();
                }
                if (!accepted[i])
                {
                    Interlocked.Increment(ref _refused);
                }
                else
                {
                    switch (outcome.Status)
                    {
                        case TrialStatus.Completed: Interlocked.Increment(ref _completed); break;
                        case TrialStatus.Failed: Interlocked.Increment(ref _failed); break;
                        case TrialStatus.Timeout: Interlocked.Increment(ref _timedOut); break;
                        default: Interlocked.Increment(ref _cancelled); break;
                    }
                }
                _observer?.TrialFinished(context, outcome, accepted[i]);
            }
            _wake.Release();
        }
    }

    private async Task<IReadOnlyList<bool>> CompleteWithRetryAsync(List<TrialCompletion> completions)
    {
        // Outcomes are kept until the store confirms them: retry with backoff rather than drop a result.
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _store.CompleteAsync(completions, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) when (attempt < 8)
            {
                await Task.Delay(delay, _time, CancellationToken.None).ConfigureAwait(false);
                delay *= 2;
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
            var held = _inFlight.Values.ToList();
            if (held.Count == 0)
            {
                continue;
            }
            IReadOnlyList<string> lost;
            try
            {
                lost = await _store.HeartbeatAsync(held.Select(h => h.Lease).ToList(), _options.Lease, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                continue; // A missed beat is not fatal; the lease is longer than the interval.
            }
            foreach (var id in lost)
            {
                // Cancelled, reset, or expired and taken by another worker: stop running it here.
                if (_inFlight.TryGetValue(id, out var item))
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
        }
    }
}
