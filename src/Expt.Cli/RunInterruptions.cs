namespace Expt.Cli;

/// <summary>
/// Turns signals into a worker's tokens: the first Ctrl+C stops scheduling and lets running trials finish; a second
/// one interrupts them (they end as cancelled). SIGTERM or SIGUSR2 (a scheduler's shutdown or preemption notice)
/// interrupts running trials and gives them back to the queue at once.
/// </summary>
internal sealed class RunInterruptions : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _preempt = new();
    private readonly IDisposable _subscription;
    private int _count;

    public RunInterruptions(CliEnvironment env, Action<string>? status = null)
    {
        _subscription = env.Interrupts.Subscribe(terminate =>
        {
            var first = Interlocked.Increment(ref _count) == 1;
            var message = terminate ? "terminating: giving unfinished trials back to the queue"
                : first ? "stopping: waiting for running trials to finish (Ctrl+C again to interrupt them)"
                : "interrupting running trials";
            status?.Invoke(message);
            env.Error.WriteLine(message);
            _stop.Cancel();
            if (terminate)
            {
                Terminated = true;
                _preempt.Cancel();
            }
            else if (!first)
            {
                _abort.Cancel();
            }
        });
    }

    public CancellationToken Stop => _stop.Token;

    public CancellationToken Abort => _abort.Token;

    public CancellationToken Preempt => _preempt.Token;

    public bool Interrupted => Volatile.Read(ref _count) > 0;

    /// <summary>SIGTERM or SIGUSR2 arrived: unfinished trials went back to the queue.</summary>
    public bool Terminated { get; private set; }

    public void Dispose()
    {
        _subscription.Dispose();
        _stop.Dispose();
        _abort.Dispose();
        _preempt.Dispose();
    }
}
