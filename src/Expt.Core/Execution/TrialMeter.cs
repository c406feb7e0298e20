namespace Expt.Execution;

/// <summary>
/// Measures one command trial's own processes, and ends them: all of them, whatever they do to leave (a new session, a
/// double fork, <c>env -i</c>). Where this runner can make control groups (<see cref="Cgroups"/>), the trial runs in
/// groups of its own, which the kernel measures exactly (the peak of the group's memory, its CPU time) and which hold
/// every process it makes; elsewhere its processes are sampled from /proc, following descendants across sessions.
/// The method used is recorded with the trial's usage (<see cref="Method"/>).
/// </summary>
/// <remarks>
/// The runner's own size never counts: <c>wait4</c>'s <c>ru_maxrss</c> is not used for memory, because a child started
/// with <c>vfork</c> semantics (as <c>posix_spawn</c> starts it) is charged the parent's resident set at its exec.
/// </remarks>
internal abstract class TrialMeter : IDisposable
{
    /// <summary>How memory was measured: <c>cgroup v2</c>, <c>cgroup v1</c>, or <c>sampled</c> (/proc, every 200 ms).</summary>
    public abstract string Method { get; }

    /// <summary>Completes when the trial's processes hold more than its memory limit (sampled methods; the kernel enforces it in a group).</summary>
    public abstract Task Exceeded { get; }

    /// <summary>The highest memory the trial's processes held together, in bytes (0 before anything was measured).</summary>
    public abstract long PeakBytes { get; }

    /// <summary>True when the kernel ended a process of the trial for passing its memory limit.</summary>
    public virtual bool OutOfMemory => false;

    /// <summary>CPU time of every process of the trial (detached ones included), when the kernel counted it; else null.</summary>
    public virtual (double User, double System)? Cpu => null;

    /// <summary>
    /// Brackets the start of the trial's main process: it starts where the meter can see all of it (for control groups,
    /// inside them; see <see cref="CgroupMeter.Enter"/>). Dispose once the process is started.
    /// </summary>
    public virtual IDisposable Enter() => Nothing.Instance;

    private sealed class Nothing : IDisposable
    {
        public static Nothing Instance { get; } = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// The <c>cgroup.procs</c> files of the trial's groups, for a process that joins them itself (a forked Python
    /// child writes <c>0</c> to each before it runs anything); empty when the meter samples.
    /// </summary>
    public virtual IReadOnlyList<string> JoinFiles => [];

    /// <summary>The trial's main process started.</summary>
    public abstract void Started(int pid);

    /// <summary>The trial's processes still running (its main process's group and session aside, which the caller ends too).</summary>
    public abstract IReadOnlyCollection<int> Alive();

    /// <summary>Ends every process of the trial (frozen first, so none forks between the scan and the kill).</summary>
    public abstract void KillAll();

    public abstract void Dispose();

    /// <summary>A meter for a trial: in control groups of its own where this runner can make them, else sampled.</summary>
    /// <param name="trialId">The trial (its groups are named after it; its processes carry it in their environment).</param>
    /// <param name="memoryLimit">Its <c>memory_limit</c>, or null.</param>
    public static TrialMeter Create(string trialId, long? memoryLimit)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        return (Cgroups.Current.Any ? CgroupMeter.TryCreate(Cgroups.Current, trialId, memoryLimit) : null) ?? (TrialMeter)new SampledMeter(trialId, memoryLimit);
    }
}
