using System.Collections.Concurrent;
using System.Text;
using Expt.Execution;
using Expt.Isolation;
using Expt.Resources;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Mpi;

/// <summary>
/// Rank 0's executor: each trial goes to the next free rank (1..K-1) that has what it needs (each rank says its
/// capacity when it starts) and its outcome comes back over MPI; the worker loop around it claims, records and orders
/// trials as always (one slot per rank). A trial no rank could ever take fails saying so. One thread blocks in a
/// receive from any source, so nothing polls.
/// </summary>
public sealed class MpiCoordinator : ITrialExecutor, IDisposable
{
    private readonly MpiComm _comm;
    private readonly Lock _gate = new();
    private readonly SortedSet<int> _free = [];
    private readonly ConcurrentDictionary<int, MachineCapacity> _capacities = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<TrialOutcome>> _running = new();
    private readonly Thread _receiver;
    private readonly TaskCompletionSource _allGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _byes;

    public MpiCoordinator(MpiComm comm)
    {
        _comm = comm;
        for (var rank = 1; rank < comm.Size; rank++)
        {
            _free.Add(rank);
        }
        _receiver = new Thread(Receive) { IsBackground = true, Name = "mpi-receiver" };
        _receiver.Start();
    }

    public int Ranks => _comm.Size - 1;

    public async Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = DateTimeOffset.UtcNow;
        int rank;
        try
        {
            if (await TakeRankAsync(context.Lease.Needs, cancellationToken).ConfigureAwait(false) is not { } taken)
            {
                return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero,
                    Error: $"no rank has what this trial needs ({context.Lease.Needs}); the ranks have: {string.Join("; ", _capacities.OrderBy(c => c.Key).Select(c => $"rank {c.Key}: {c.Value}"))}");
            }
            rank = taken;
        }
        catch (OperationCanceledException)
        {
            return new TrialOutcome(TrialStatus.Cancelled, TimeSpan.Zero, Error: "cancelled before it reached a rank");
        }
        var outcome = new TaskCompletionSource<TrialOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[rank] = outcome;
        _comm.Send(rank, MpiTags.Trial, Encoding.UTF8.GetBytes(TrialHostProtocol.Request(context)));
        using (cancellationToken.Register(() => Interrupt(rank, outcome, started)))
        {
            var result = await outcome.Task.ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                Free(rank);
            }
            return result;
        }
    }

    // The trial is given up at once (a preempted worker must give it back now, and a rank that died never answers);
    // the rank is told to stop it, and becomes free again if its late answer ever arrives.
    private void Interrupt(int rank, TaskCompletionSource<TrialOutcome> outcome, DateTimeOffset started)
    {
        if (!outcome.TrySetResult(new TrialOutcome(TrialStatus.Cancelled, DateTimeOffset.UtcNow - started, Error: $"interrupted on rank {rank}")))
        {
            return;
        }
        _running.TryRemove(new KeyValuePair<int, TaskCompletionSource<TrialOutcome>>(rank, outcome));
        try
        {
            _comm.Send(rank, MpiTags.Cancel, []);
        }
        catch (InvalidOperationException)
        {
            // That rank is gone.
        }
    }

    private void Receive()
    {
        while (true)
        {
            var (source, tag, message) = _comm.Receive();
            if (tag == MpiTags.Result)
            {
                if (_running.TryRemove(source, out var outcome))
                {
                    outcome.TrySetResult(TrialHostProtocol.ParseResponse(Encoding.UTF8.GetString(message)));
                }
                else
                {
                    Free(source); // the late answer of an interrupted trial: the rank is free again
                }
            }
            else if (tag == MpiTags.Capacity && ParseCapacity(message) is { } capacity)
            {
                _capacities[source] = capacity;
                Changed();
            }
            else if (tag == MpiTags.Bye && Interlocked.Increment(ref _byes) == Ranks)
            {
                _allGone.TrySetResult();
                return;
            }
        }
    }

    /// <summary>Tells every rank there is no more work and waits for them to finish (bounded: never hangs).</summary>
    public async Task<bool> StopRanksAsync(TimeSpan timeout)
    {
        for (var rank = 1; rank < _comm.Size; rank++)
        {
            _comm.Send(rank, MpiTags.Stop, []);
        }
        return await Task.WhenAny(_allGone.Task, Task.Delay(timeout)).ConfigureAwait(false) == _allGone.Task;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
        }
        Changed();
    }

    // A free rank that can take the trial (any free rank for a trial that needs nothing); null when every rank has
    // said what it has and none could ever take it.
    private async Task<int?> TakeRankAsync(Resources.TrialNeeds needs, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_closed)
                {
                    throw new OperationCanceledException("the coordinator has stopped");
                }
                foreach (var rank in _free)
                {
                    if (needs.IsNone || (_capacities.TryGetValue(rank, out var capacity) && capacity.CanEverFit(needs)))
                    {
                        _free.Remove(rank);
                        return rank;
                    }
                }
                if (!needs.IsNone && _capacities.Count == Ranks && !_capacities.Values.Any(c => c.CanEverFit(needs)))
                {
                    return null;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Free(int rank)
    {
        lock (_gate)
        {
            _free.Add(rank);
        }
        Changed();
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>A rank's capacity as it sends it: cores, memory in bytes and GPU devices, one per line.</summary>
    internal static string FormatCapacity(MachineCapacity capacity) =>
        string.Join('\n', capacity.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), capacity.MemoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(',', capacity.Gpus));

    private static MachineCapacity? ParseCapacity(byte[] message)
    {
        var lines = Encoding.UTF8.GetString(message).Split('\n');
        try
        {
            return lines.Length == 3 && int.TryParse(lines[0], System.Globalization.CultureInfo.InvariantCulture, out var cpus) && long.TryParse(lines[1], System.Globalization.CultureInfo.InvariantCulture, out var memory)
                ? new MachineCapacity(cpus, memory, MachineCapacity.ParseGpus(lines[2]))
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
