using Expt.Trials;

namespace Expt.Execution;

/// <summary>Finished trials counted by how they ended, safe to add to from many slots at once.</summary>
public sealed class OutcomeTally
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

    /// <summary>Trials that completed.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Trials that failed.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Trials that ran past their time limit.</summary>
    public int TimedOut => Volatile.Read(ref _timedOut);

    /// <summary>Trials that were cancelled or interrupted.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>Every trial counted.</summary>
    public int Finished => Completed + Failed + TimedOut + Cancelled;
}
