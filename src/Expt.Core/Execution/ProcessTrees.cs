using System.Diagnostics;

namespace Expt.Execution;

/// <summary>
/// Ending a process and everything it started, as Expt ends trials: on Linux the tree is frozen first (SIGSTOP), so
/// nothing forks away while it is killed, then killed; elsewhere .NET's tree kill. For executors of plugins and hosts
/// that start processes of their own.
/// </summary>
public static class ProcessTrees
{
    /// <summary>Kills <paramref name="process"/> and its descendants; a process that already exited is left alone.</summary>
    public static void Kill(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        ProcessTree.Kill(process, group: false);
    }
}
