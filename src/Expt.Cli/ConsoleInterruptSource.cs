using System.Runtime.InteropServices;

namespace Expt.Cli;

/// <summary>Real signals: Ctrl+C and SIGTERM are caught so the command can stop cleanly instead of dying.</summary>
internal sealed class ConsoleInterruptSource : IInterruptSource
{
    public IDisposable Subscribe(Action<bool> onInterrupt)
    {
        var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            onInterrupt(false);
        });
        var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            onInterrupt(true);
        });
        return new Both(interrupt, terminate);
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
