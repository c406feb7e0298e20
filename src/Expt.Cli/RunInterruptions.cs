namespace Expt.Cli;

/// <summary>
/// Turns Ctrl+C and SIGTERM into a worker's two tokens: the first Ctrl+C stops scheduling and lets running trials
/// finish; a second one, or SIGTERM, interrupts them.
/// </summary>
internal sealed class RunInterruptions : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly IDisposable _subscription;
    private int _count;

    public RunInterruptions(CliEnvironment env, Action<string>? status = null)
    {
        _subscription = env.Interrupts.Subscribe(terminate =>
        {
            var message = Interlocked.Increment(ref _count) == 1 && !terminate
                ? "stopping: waiting for running trials to finish (Ctrl+C again to interrupt them)"
                : "interrupting running trials";
            status?.Invoke(message);
            env.Error.WriteLine(message);
            _stop.Cancel();
            if (message.StartsWith("interrupting", StringComparison.Ordinal))
            {
                _abort.Cancel();
            }
        });
    }

    public CancellationToken Stop => _stop.Token;

    public CancellationToken Abort => _abort.Token;

    public bool Interrupted => Volatile.Read(ref _count) > 0;

    public void Dispose()
    {
        _subscription.Dispose();
        _stop.Dispose();
        _abort.Dispose();
    }
}
