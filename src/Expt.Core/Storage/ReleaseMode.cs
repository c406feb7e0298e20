namespace Expt.Storage;

/// <summary>What happens to a trial whose lease a worker gives back.</summary>
public enum ReleaseMode
{
    /// <summary>Back to pending at once, the attempt not counted (it was not started, or was preempted).</summary>
    Requeue,

    /// <summary>Marked cancelled (interrupted by the user); the next run resets it to pending.</summary>
    Cancel,
}
