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
    public static MachineCapacity Detect(int? cpus, long? memoryBytes, IReadOnlyList<string>? gpus, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var slurmCpus = int.TryParse(getEnvironmentVariable("SLURM_CPUS_PER_TASK"), NumberStyles.None, CultureInfo.InvariantCulture, out var sc) && sc > 0 ? sc : (int?)null;
        var slurmMemory = long.TryParse(getEnvironmentVariable("SLURM_MEM_PER_NODE"), NumberStyles.None, CultureInfo.InvariantCulture, out var sm) && sm > 0 ? sm << 20 : (long?)null;
        var memory = memoryBytes ?? slurmMemory ?? (MachineCapacity.ReadMemInfo() is { } info ? Math.Max(0, info.Available - MachineCapacity.Reserve(info.Total)) : 0);
        return new MachineCapacity(cpus ?? slurmCpus ?? Environment.ProcessorCount, memory, gpus ?? VisibleGpus(getEnvironmentVariable) ?? QuerySmi() ?? []);
    }

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
