using Expt.Trials;

namespace Expt.Execution;

/// <summary>Finished trials counted by how they ended, safe to add to from many slots at once.</summary>
internal sealed class OutcomeTally
{
    private int _completed, _failed, _timedOut, _cancelled;

    /// <summary>Counts one trial that ended with <paramref name="status"/>; anything but completed, failed or timeout counts as cancelled.</summary>
    public void Add(TrialStatus status)
    {
        switch (status)
        {
            case TrialStatus.Completed: Interlocked.Increment(ref _completed); break;
            case TrialStatus.Failed: Interlocked.Increment(ref _failed); break;
            case TrialStatus.Timeout: Interlocked.Increment(ref _timedOut); break;
            default: Interlocked.Increment(ref _cancelled); break;
        }
    }

    public int Completed => Volatile.Read(ref _completed);

    public int Failed => Volatile.Read(ref _failed);

    public int TimedOut => Volatile.Read(ref _timedOut);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public int Finished => Completed + Failed + TimedOut + Cancelled;
}
