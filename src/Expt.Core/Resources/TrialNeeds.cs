using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// What one trial needs of a machine while it runs. A study without <c>resources:</c> needs nothing (all zero): its
/// trials are bounded by <c>-j</c> only, as before resources existed. GPUs are in thousandths, so half a GPU is 500.
/// </summary>
/// <param name="Cpus">Cores (0 when undeclared).</param>
/// <param name="MemoryBytes">Expected peak memory.</param>
/// <param name="GpuMilli">GPUs in thousandths: 1000 is one whole GPU, 500 half of one (shared with another trial), 2000 two.</param>
/// <param name="MemoryLimitBytes">A hard limit: a trial that grows past it is killed as out of memory; null for none.</param>
public sealed record TrialNeeds(int Cpus = 0, long MemoryBytes = 0, int GpuMilli = 0, long? MemoryLimitBytes = null)
{
    /// <summary>Nothing: the needs of a trial of a study without <c>resources:</c>.</summary>
    public static TrialNeeds None { get; } = new();

    /// <summary>True when the trial claims nothing of the machine.</summary>
    public bool IsNone => Cpus == 0 && MemoryBytes == 0 && GpuMilli == 0;

    /// <summary>GPUs as users write them (0.5, 1, 2).</summary>
    public double Gpus => GpuMilli / 1000.0;

    /// <summary>A short description: <c>2 cpus, 3 GiB, 1 gpu</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Cpus > 0)
        {
            parts.Add(Cpus == 1 ? "1 cpu" : $"{Cpus} cpus");
        }
        if (MemoryBytes == ResourcePlan.Unmeasured)
        {
            parts.Add("memory to be measured (auto)");
        }
        else if (MemoryBytes > 0)
        {
            parts.Add(Sizes.Format(MemoryBytes));
        }
        if (GpuMilli > 0)
        {
            parts.Add($"{Gpus.ToString("0.###", CultureInfo.InvariantCulture)} gpu{(GpuMilli > 1000 ? "s" : string.Empty)}");
        }
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }
}
