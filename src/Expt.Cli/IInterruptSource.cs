namespace Expt.Cli;

/// <summary>Delivers Ctrl+C (SIGINT) and termination signals (SIGTERM, SIGUSR2) to a running command.</summary>
internal interface IInterruptSource
{
    /// <summary>Subscribes; the callback gets true for SIGTERM or SIGUSR2. Dispose to unsubscribe.</summary>
    IDisposable Subscribe(Action<bool> onInterrupt);
}
