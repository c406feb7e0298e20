using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// Finds what a worker may schedule onto. Each part, first found wins: what the user gave (<c>--cpus</c>,
/// <c>--memory</c>, <c>--gpus</c>); a Slurm allocation (<c>SLURM_CPUS_PER_TASK</c>, <c>SLURM_MEM_PER_NODE</c>,
/// <c>SLURM_JOB_GPUS</c>); <c>CUDA_VISIBLE_DEVICES</c> when set (a worker given some GPUs uses those only); then the
/// machine (its cores, <c>MemAvailable</c> less a reserve, the GPUs <c>nvidia-smi</c> lists).
/// </summary>
public static class CapacityDetector
{
    /// <summary>How long <c>nvidia-smi</c> may take to answer.</summary>
    private static readonly TimeSpan SmiTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Detects the capacity; <paramref name="getEnvironmentVariable"/> reads this worker's environment.</summary>
    /// <param name="cpus">Cores the user gave, or null.</param>
    /// <param name="memoryBytes">Memory the user gave, or null.</param>
    /// <param name="gpus">GPUs the user gave (<see cref="AllGpus"/> for every one nvidia-smi lists), or null.</param>
    /// <param name="getEnvironmentVariable">Reads this worker's environment.</param>
    /// <param name="warn">Told when the environment claims more than the machine has (and what is used instead).</param>
    public static MachineCapacity Detect(int? cpus, long? memoryBytes, IReadOnlyList<string>? gpus, Func<string, string?> getEnvironmentVariable, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var info = MachineCapacity.ReadMemInfo();
        // A Slurm allocation is a share of this node: what it claims beyond the node is a mistake (or a forgery), and
        // trusting it would run a thousand trials on two cores, or overflow into a negative memory.
        int? slurmCpus = null;
        if (int.TryParse(getEnvironmentVariable("SLURM_CPUS_PER_TASK"), NumberStyles.None, CultureInfo.InvariantCulture, out var sc) && sc > 0)
        {
            slurmCpus = Math.Min(sc, Environment.ProcessorCount);
            if (sc > Environment.ProcessorCount)
            {
                warn?.Invoke($"SLURM_CPUS_PER_TASK={sc} is more than this machine's {Environment.ProcessorCount} cores; {Environment.ProcessorCount} are used");
            }
        }
        long? slurmMemory = null;
        if (long.TryParse(getEnvironmentVariable("SLURM_MEM_PER_NODE"), NumberStyles.None, CultureInfo.InvariantCulture, out var sm) && sm > 0)
        {
            var total = info?.Total ?? long.MaxValue;
            slurmMemory = sm > total >> 20 ? total : sm << 20;
            if (sm > total >> 20)
            {
                warn?.Invoke($"SLURM_MEM_PER_NODE={sm} (MiB) is more than this machine's {Sizes.Format(total)}; {Sizes.Format(total)} is used");
            }
        }
        var memory = memoryBytes ?? slurmMemory ?? (info is { } i ? Math.Max(0, i.Available - MachineCapacity.Reserve(i.Total)) : 0);
        var devices = ReferenceEquals(gpus, AllGpus) ? QuerySmi() ?? [] : gpus ?? VisibleGpus(getEnvironmentVariable) ?? QuerySmi() ?? [];
        return new MachineCapacity(cpus ?? slurmCpus ?? Environment.ProcessorCount, memory, devices);
    }

    /// <summary>What <c>--gpus all</c> gives <see cref="Detect"/>: every GPU nvidia-smi lists.</summary>
    public static IReadOnlyList<string> AllGpus { get; } = ["all"];

    /// <summary>The GPUs this process was given, when it was given some (<c>CUDA_VISIBLE_DEVICES</c>, then Slurm's <c>SLURM_JOB_GPUS</c>).</summary>
    public static IReadOnlyList<string>? VisibleGpus(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        foreach (var name in new[] { "CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS" })
        {
            if (getEnvironmentVariable(name) is { } value)
            {
                // CUDA's own ways of saying "none": empty, or a device number that cannot exist.
                if (value.Trim() is "" or "-1" or "NoDevFiles")
                {
                    return [];
                }
                try
                {
                    return MachineCapacity.ParseGpus(value);
                }
                catch (FormatException)
                {
                    return [];
                }
            }
        }
        return null;
    }

    /// <summary>The GPUs <c>nvidia-smi</c> lists (their indices), or null when it is not installed or does not answer.</summary>
    public static IReadOnlyList<string>? QuerySmi()
    {
        var lines = NvidiaSmi.Query("index", SmiTimeout);
        return lines?.Select(l => l.Trim()).Where(l => l.Length > 0 && l.All(char.IsAsciiDigit)).ToList();
    }
}
