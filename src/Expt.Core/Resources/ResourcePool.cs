namespace Expt.Resources;

/// <summary>
/// A worker's capacity and what of it its running trials hold. The claim loop asks for a <see cref="Budget"/> (what is
/// free), the store packs trials into it, and each claimed trial is given its share with <see cref="Grant"/>, then
/// gives it back with <see cref="Return"/> when its outcome is written. Thread-safe.
/// </summary>
public sealed class ResourcePool
{
    private readonly Lock _lock = new();
    private readonly MachineCapacity _capacity;
    private readonly TimeProvider _time;
    private readonly TimeSpan _backfillWindow;
    private readonly int[] _freeGpuMilli;
    private int _freeCpus;
    private long _freeMemory;
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
        _freeCpus = capacity.Cpus;
        _freeMemory = capacity.MemoryBytes;
        _freeGpuMilli = [.. capacity.Gpus.Select(_ => 1000)];
    }

    public MachineCapacity Capacity => _capacity;

    /// <summary>What is free now, for one claim; strict once a trial has been passed over for longer than the backfill window.</summary>
    public ResourceBudget Budget()
    {
        lock (_lock)
        {
            var strict = _waiting is not null && _time.GetElapsedTime(_waitingSince) >= _backfillWindow;
            return new ResourceBudget(_freeCpus, _freeMemory, _freeGpuMilli, _capacity.Total) { Strict = strict };
        }
    }

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

    /// <summary>Gives a claimed trial its share; null when it does not fit (it was packed against an older budget).</summary>
    public ResourceGrant? Grant(TrialNeeds needs)
    {
        ArgumentNullException.ThrowIfNull(needs);
        if (needs.IsNone)
        {
            return ResourceGrant.None;
        }
        lock (_lock)
        {
            if (needs.Cpus > _freeCpus || needs.MemoryBytes > _freeMemory || !GpuPacking.TryTake(_freeGpuMilli, needs.GpuMilli, out var devices))
            {
                return null;
            }
            _freeCpus -= needs.Cpus;
            _freeMemory -= needs.MemoryBytes;
            return new ResourceGrant(needs, devices, [.. devices.Select(d => _capacity.Gpus[d])]);
        }
    }

    /// <summary>Takes back what a trial was given.</summary>
    public void Return(ResourceGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.Needs.IsNone)
        {
            return;
        }
        lock (_lock)
        {
            _freeCpus = Math.Min(_capacity.Cpus, _freeCpus + grant.Needs.Cpus);
            _freeMemory = Math.Min(_capacity.MemoryBytes, _freeMemory + grant.Needs.MemoryBytes);
            GpuPacking.Give(_freeGpuMilli, grant.Needs.GpuMilli, grant.GpuDevices);
        }
    }
}
