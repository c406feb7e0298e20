namespace Expt.Cli;

/// <summary>Delivers Ctrl+C (SIGINT) and termination signals (SIGTERM) to a running command.</summary>
internal interface IInterruptSource
{
    /// <summary>Subscribes; the callback gets true for SIGTERM. Dispose to unsubscribe.</summary>
    IDisposable Subscribe(Action<bool> onInterrupt);
}
