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
        if (OperatingSystem.IsWindows())
        {
            return new All([interrupt, terminate]);
        }
        // SIGUSR2 is what Slurm sends ahead of preemption or the time limit (--signal=USR2@90): treated like SIGTERM.
        // .NET has no name for it; raw signal numbers are accepted on Unix.
        var preempt = PosixSignalRegistration.Create((PosixSignal)(OperatingSystem.IsLinux() ? 12 : 31), context =>
        {
            context.Cancel = true;
            onInterrupt(true);
        });
        return new All([interrupt, terminate, preempt]);
    }

    private sealed class All(IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
