namespace Expt.Resources;

/// <summary>
/// What a worker can take in one claim: its free cores, memory and GPU share, and its whole capacity (a trial that
/// could never fit it is not even looked at). The store asks <see cref="Pack"/> which of the pending trials it
/// looked at to hand over.
/// </summary>
/// <remarks>
/// Packing takes trials in queue order (priority, then plan order) and lets a later, smaller trial start beside
/// them when an earlier one does not fit now (backfill). So that a big trial is not passed over for ever, the worker
/// turns on <see cref="Strict"/> once the same trial has waited too long: packing then stops at the first trial that
/// does not fit, the machine drains, and the big one starts (as a batch scheduler's reservation does).
/// </remarks>
public sealed class ResourceBudget
{
    private readonly int[] _freeGpuMilli;

    /// <summary>Creates a budget.</summary>
    /// <param name="freeCpus">Cores free now.</param>
    /// <param name="freeMemoryBytes">Memory free now (for trials' declared needs).</param>
    /// <param name="freeGpuMilli">Each GPU's free thousandths.</param>
    /// <param name="total">The worker's whole capacity.</param>
    public ResourceBudget(int freeCpus, long freeMemoryBytes, IReadOnlyList<int> freeGpuMilli, TrialNeeds total)
    {
        ArgumentNullException.ThrowIfNull(freeGpuMilli);
        ArgumentNullException.ThrowIfNull(total);
        FreeCpus = freeCpus;
        FreeMemoryBytes = freeMemoryBytes;
        _freeGpuMilli = [.. freeGpuMilli];
        Total = total;
    }

    public int FreeCpus { get; }

    public long FreeMemoryBytes { get; }

    /// <summary>The worker's capacity: cores, memory, and GPUs (in thousandths) in all.</summary>
    public TrialNeeds Total { get; }

    /// <summary>Stop at the first trial that does not fit, rather than start smaller ones after it.</summary>
    public bool Strict { get; init; }

    /// <summary>The first trial <see cref="Pack"/> passed over, if any (the worker watches how long it waits).</summary>
    public string? PassedOver { get; private set; }

    /// <summary>How many pending trials the store should look at for <paramref name="max"/> places: more than the places, so smaller trials can fill in.</summary>
    public static int Window(int max) => Math.Min(10_000, (max * 2) + 32);

    /// <summary>
    /// Which of <paramref name="candidates"/> (in queue order) to hand over, at most <paramref name="max"/>: each one that
    /// still fits after those taken before it.
    /// </summary>
    public bool[] Pack(IReadOnlyList<(string Id, TrialNeeds Needs)> candidates, int max)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var taken = new bool[candidates.Count];
        var (cpus, memory, gpus) = (FreeCpus, FreeMemoryBytes, (int[])_freeGpuMilli.Clone());
        var count = 0;
        PassedOver = null;
        for (var i = 0; i < candidates.Count && count < max; i++)
        {
            var needs = candidates[i].Needs;
            var fits = needs.Cpus <= cpus && needs.MemoryBytes <= memory;
            if (fits && GpuPacking.TryTake(gpus, needs.GpuMilli, out _))
            {
                cpus -= needs.Cpus;
                memory -= needs.MemoryBytes;
                taken[i] = true;
                count++;
                continue;
            }
            PassedOver ??= candidates[i].Id;
            if (Strict)
            {
                break;
            }
        }
        return taken;
    }
}
