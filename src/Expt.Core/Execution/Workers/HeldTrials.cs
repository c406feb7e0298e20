using System.Collections.Concurrent;
using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>
/// The trials a worker holds leases on, shared by its parts: the claim loop adds them, slots run them, the lease
/// keeper renews them, the writer releases them (which wakes the claim loop: a slot is free).
/// </summary>
internal sealed class HeldTrials(Resources.ResourcePool? pool = null)
{
    private readonly ConcurrentDictionary<string, HeldTrial> _trials = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TrialLease> _unstarted = new();
    private readonly SemaphoreSlim _released = new(0);

    public int Count => _trials.Count;

    public bool IsEmpty => _trials.IsEmpty;

    public IEnumerable<HeldTrial> All => _trials.Values;

    /// <summary>
    /// Holds a claimed trial with its share of the worker's capacity; false when that share is not free (it was packed
    /// against an older budget): the trial is then handed back unstarted.
    /// </summary>
    public bool Hold(TrialLease lease)
    {
        var grant = pool is null ? Resources.ResourceGrant.None : pool.Grant(lease.Needs);
        if (grant is null)
        {
            _unstarted.Enqueue(lease);
            return false;
        }
        _trials[lease.TrialId] = new HeldTrial(lease, grant);
        return true;
    }

    public bool TryGet(string trialId, out HeldTrial trial) => _trials.TryGetValue(trialId, out trial!);

    /// <summary>A claimed trial that will not be started here (stopping): it goes back to the queue at the end.</summary>
    public void NotStarted(TrialLease lease)
    {
        _unstarted.Enqueue(lease);
        if (_trials.TryRemove(lease.TrialId, out var trial))
        {
            pool?.Return(trial.Grant, trial.Running);
        }
    }

    /// <summary>The trials claimed but never started.</summary>
    public List<TrialLease> TakeUnstarted()
    {
        var leases = new List<TrialLease>();
        while (_unstarted.TryDequeue(out var lease))
        {
            leases.Add(lease);
        }
        return leases;
    }

    /// <summary>Lets go of a trial whose outcome was written (or given up); null when it was not held.</summary>
    public HeldTrial? Release(string trialId)
    {
        if (!_trials.TryGetValue(trialId, out var trial))
        {
            return null;
        }
        // Its resources go back before it leaves the set, so a claim loop that finds the set empty also finds them
        // free (only the writer releases, so no one else removes it in between).
        pool?.Return(trial.Grant, trial.Running);
        _trials.TryRemove(trialId, out _);
        trial.Cancellation.Dispose();
        return trial;
    }

    /// <summary>Says that trials were released (a batch of outcomes written): the claim loop may take more.</summary>
    public void Released() => _released.Release();

    /// <summary>Waits until trials are released, or the timeout.</summary>
    public Task WaitForReleaseAsync(TimeSpan timeout, CancellationToken cancellationToken) => _released.WaitAsync(timeout, cancellationToken);

    /// <summary>Interrupts every held trial; <paramref name="giveBack"/> to return them to the queue rather than cancel them.</summary>
    public void Interrupt(bool giveBack)
    {
        foreach (var trial in _trials.Values)
        {
            trial.GiveBack |= giveBack;
            trial.Cancel();
        }
    }
}
