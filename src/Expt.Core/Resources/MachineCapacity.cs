using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// What a worker may schedule trials onto: cores, memory and GPUs of this machine (or of a Slurm allocation, or what
/// the user gave with <c>--cpus</c>, <c>--memory</c>, <c>--gpus</c>).
/// </summary>
/// <param name="Cpus">Cores.</param>
/// <param name="MemoryBytes">Memory for trials (what was available at start, less a reserve).</param>
/// <param name="Gpus">GPU devices by the names <c>CUDA_VISIBLE_DEVICES</c> takes.</param>
public sealed record MachineCapacity(int Cpus, long MemoryBytes, IReadOnlyList<string> Gpus)
{
    /// <summary>Memory kept back for the system and Expt itself: 5% of the machine, at least 256 MiB.</summary>
    public static long Reserve(long totalBytes) => Math.Max(256L << 20, totalBytes / 20);

    /// <summary>The capacity as the claim query sees it: cores, memory and GPU thousandths in all.</summary>
    public TrialNeeds Total => new(Cpus, MemoryBytes, Gpus.Count * 1000);

    /// <summary>Whether a trial needing <paramref name="needs"/> could run here at all, with nothing else running.</summary>
    public bool CanEverFit(TrialNeeds needs)
    {
        ArgumentNullException.ThrowIfNull(needs);
        var devices = needs.GpuMilli == 0 ? 0 : needs.GpuMilli <= 1000 ? 1 : needs.GpuMilli / 1000;
        return needs.Cpus <= Cpus && needs.MemoryBytes <= MemoryBytes && devices <= Gpus.Count;
    }

    /// <summary>One line: <c>16 cpus, 60 GiB, gpus 0,1</c>.</summary>
    public override string ToString() =>
        $"{Cpus} cpu{(Cpus == 1 ? string.Empty : "s")}, {Sizes.Format(MemoryBytes)}, {(Gpus.Count == 0 ? "no gpus" : "gpus " + string.Join(',', Gpus))}";

    /// <summary>
    /// Parses <c>--gpus</c>: device names separated by commas (<c>0,1,3</c>, or UUIDs), or <c>none</c>. Throws
    /// <see cref="FormatException"/> for anything else.
    /// </summary>
    public static IReadOnlyList<string> ParseGpus(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim() is "none" or "")
        {
            return [];
        }
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        // A device is a number, or a UUID as nvidia-smi prints it (GPU-..., MIG-...): "all" or "-1" is not a device.
        if (names.FirstOrDefault(n => !IsDeviceName(n)) is { } bad)
        {
            throw new FormatException($"'{bad}' is not a GPU device; expected device numbers or UUIDs (GPU-..., MIG-...) separated by commas, e.g. 0,1,3; all (every GPU nvidia-smi lists); or none");
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            throw new FormatException($"'{text}' names a device twice");
        }
        if (names.Length > 64)
        {
            throw new FormatException($"'{text}' names more than 64 devices");
        }
        return names;
    }

    private static bool IsDeviceName(string name) =>
        (name.Length is > 0 and <= 4 && name.All(char.IsAsciiDigit))
        || (name.Length is > 4 and <= 96 && (name.StartsWith("GPU-", StringComparison.Ordinal) || name.StartsWith("MIG-", StringComparison.Ordinal))
            && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '/' or '_'));

    /// <summary>The free memory the kernel reports (<c>MemAvailable</c>) and the machine's total, from <c>/proc/meminfo</c>.</summary>
    public static (long Available, long Total)? ReadMemInfo(string path = "/proc/meminfo")
    {
        try
        {
            long? available = null, total = null;
            foreach (var line in File.ReadLines(path).Take(64))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
                {
                    if (parts[0] == "MemAvailable:")
                    {
                        available = kb * 1024;
                    }
                    else if (parts[0] == "MemTotal:")
                    {
                        total = kb * 1024;
                    }
                }
            }
            return available is { } a && total is { } t ? (a, t) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
