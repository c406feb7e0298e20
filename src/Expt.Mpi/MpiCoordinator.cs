using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Expt.Execution;
using Expt.Isolation;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Mpi;

/// <summary>
/// Rank 0's executor: each trial goes to the next free rank (1..K-1) and its outcome comes back over MPI; the worker
/// loop around it claims, records and orders trials as always (one slot per rank). One thread blocks in a receive
/// from any source, so nothing polls.
/// </summary>
internal sealed class MpiCoordinator : ITrialExecutor, IDisposable
{
    private readonly MpiComm _comm;
    private readonly Channel<int> _free = Channel.CreateUnbounded<int>();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<TrialOutcome>> _running = new();
    private readonly Thread _receiver;
    private readonly TaskCompletionSource _allGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _byes;

    public MpiCoordinator(MpiComm comm)
    {
        _comm = comm;
        for (var rank = 1; rank < comm.Size; rank++)
        {
            _free.Writer.TryWrite(rank);
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
            rank = await _free.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
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
                _free.Writer.TryWrite(rank);
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
                    _free.Writer.TryWrite(source); // the late answer of an interrupted trial: the rank is free again
                }
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

    public void Dispose() => _free.Writer.TryComplete();
}
