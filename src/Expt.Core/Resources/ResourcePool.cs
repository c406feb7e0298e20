namespace Expt.Resources;

/// <summary>
/// A worker's capacity and what of it its trials hold, in two ledgers. Claimed trials hold their share (and their
/// GPU devices) from the claim until their outcome is written; short trials may be claimed ahead of free capacity,
/// as the worker claims ahead of free slots, so the claim ledger may run over by that allowance. Running trials hold
/// their cores and memory in the run ledger, which never runs over: a trial claimed ahead starts when its share is free.
/// Thread-safe.
/// </summary>
public sealed class ResourcePool
{
    private readonly Lock _lock = new();
    private readonly MachineCapacity _capacity;
    private readonly TimeProvider _time;
    private readonly TimeSpan _backfillWindow;
    private readonly int[] _freeGpuMilli;
    private int _heldCpus, _runningCpus, _runningTrials, _maxRunning = int.MaxValue;
    private long _heldMemory, _runningMemory;
    private double _ahead;
    private TaskCompletionSource _returned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _waiting;
    private long _waitingSince;

    /// <summary>Creates the pool of a worker.</summary>
    /// <param name="capacity">What the worker may use.</param>
    /// <param name="backfillWindow">How long a trial that does not fit may be passed over by smaller ones before the pool drains for it.</param>
    /// <param name="time">The clock.</param>
    public ResourcePool(MachineCapacity capacity, TimeSpan backfillWindow, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        _capacity = capacity;
        _backfillWindow = backfillWindow;
        _time = time ?? TimeProvider.System;
        _freeGpuMilli = [.. capacity.Gpus.Select(_ => 1000)];
    }

    public MachineCapacity Capacity => _capacity;

    /// <summary>
    /// What may be claimed now, for one claim: the capacity (plus <paramref name="ahead"/> times its cores and memory,
    /// for short trials claimed ahead) less what claimed trials hold; strict once a trial has been passed over for
    /// longer than the backfill window.
    /// </summary>
    public ResourceBudget Budget(double ahead = 0)
    {
        lock (_lock)
        {
            _ahead = Math.Max(0, ahead);
            var strict = _waiting is not null && _time.GetElapsedTime(_waitingSince) >= _backfillWindow;
            return new ResourceBudget(ClaimableCpus - _heldCpus, ClaimableMemory - _heldMemory, _freeGpuMilli, _capacity.Total) { Strict = strict };
        }
    }

    private int ClaimableCpus => (int)Math.Min(int.MaxValue, _capacity.Cpus * (1 + _ahead));

    private long ClaimableMemory => (long)Math.Min(long.MaxValue / 2, _capacity.MemoryBytes * (1 + _ahead));

    /// <summary>Notes which trial the last claim passed over, to know how long it has waited.</summary>
    public void Claimed(ResourceBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        lock (_lock)
        {
            if (budget.PassedOver != _waiting)
            {
                _waiting = budget.PassedOver;
                _waitingSince = _time.GetTimestamp();
            }
        }
    }

    /// <summary>Gives a claimed trial its share and GPU devices; null when it does not fit (it was packed against an older budget).</summary>
    public ResourceGrant? Grant(TrialNeeds needs)
    {
        ArgumentNullException.ThrowIfNull(needs);
        if (needs.IsNone)
        {
            return ResourceGrant.None;
        }
        lock (_lock)
        {
            if (needs.Cpus > ClaimableCpus - _heldCpus || needs.MemoryBytes > ClaimableMemory - _heldMemory || !GpuPacking.TryTake(_freeGpuMilli, needs.GpuMilli, out var devices))
            {
                return null;
            }
            _heldCpus += needs.Cpus;
            _heldMemory += needs.MemoryBytes;
            return new ResourceGrant(needs, devices, [.. devices.Select(d => _capacity.Gpus[d])]);
        }
    }

    /// <summary>Waits until the granted trial's cores and memory are free among running trials, and takes them.</summary>
    public async Task StartAsync(ResourceGrant grant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        while (true)
        {
            Task returned;
            lock (_lock)
            {
                if (grant.Needs.IsNone)
                {
                    return;
                }
                if (_runningTrials < _maxRunning && _runningCpus + grant.Needs.Cpus <= _capacity.Cpus && _runningMemory + grant.Needs.MemoryBytes <= _capacity.MemoryBytes)
                {
                    _runningCpus += grant.Needs.Cpus;
                    _runningMemory += grant.Needs.MemoryBytes;
                    _runningTrials++;
                    return;
                }
                returned = _returned.Task;
            }
            await returned.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The most trials that may run at once now (lowered by the memory guard); unbounded at first.</summary>
    public int MaxRunning
    {
        get
        {
            lock (_lock)
            {
                return _maxRunning;
            }
        }
    }

    /// <summary>Lets at most <paramref name="trials"/> (at least one) run at once from now on: the machine ran short of memory with more.</summary>
    public void LowerConcurrency(int trials)
    {
        lock (_lock)
        {
            _maxRunning = Math.Max(1, Math.Min(_maxRunning, trials));
        }
    }

    /// <summary>
    /// The granted trial's processes have ended: its cores and memory are free for the next trial to start, while its
    /// claim holds until the outcome is written (<see cref="Return"/> with <c>started: false</c>).
    /// </summary>
    public void Stopped(ResourceGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.Needs.IsNone)
        {
            return;
        }
        lock (_lock)
        {
            LeaveRunning(grant.Needs);
        }
        Pulse();
    }

    /// <summary>Takes back what a trial was given; <paramref name="started"/> when it had started (<see cref="StartAsync"/>).</summary>
    public void Return(ResourceGrant grant, bool started)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.Needs.IsNone)
        {
            return;
        }
        lock (_lock)
        {
            _heldCpus -= grant.Needs.Cpus;
            _heldMemory -= grant.Needs.MemoryBytes;
            if (started)
            {
                LeaveRunning(grant.Needs);
            }
            GpuPacking.Give(_freeGpuMilli, grant.Needs.GpuMilli, grant.GpuDevices);
        }
        Pulse();
    }

    // Under the lock: a trial's cores and memory leave the run ledger.
    private void LeaveRunning(TrialNeeds needs)
    {
        _runningCpus -= needs.Cpus;
        _runningMemory -= needs.MemoryBytes;
        _runningTrials--;
    }

    // Wakes every trial waiting in StartAsync to look again.
    private void Pulse()
    {
        TaskCompletionSource returned;
        lock (_lock)
        {
            returned = _returned;
            _returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        returned.TrySetResult();
    }
}
