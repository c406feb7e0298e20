using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// A trial's energy and CO2, estimated as codecarbon estimates them: the CPU's from the RAPL counters where they can be
/// read (the packages' energy while the trial ran × its share of the machine's CPU time), else its CPU time × a power
/// per core; memory from its peak × a power per GB over its wall time; GPUs from <c>nvidia-smi</c>'s power draw,
/// sampled while it ran, × its share of them; CO2 from a carbon intensity. The method is recorded with the figures.
/// </summary>
internal static class EnergyEstimate
{
    /// <summary>The usage with its energy and CO2 filled in; unchanged when nothing was measured to estimate from.</summary>
    public static TrialUsage Apply(TrialUsage usage, RaplCounter? start, RaplCounter? end, double? gpuWatts, EnergySettings settings)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(settings);
        if (usage.CpuUserSeconds is not { } user)
        {
            return usage; // nothing measured (an in-process trial): no figure rather than a made-up one
        }
        var cpuSeconds = user + (usage.CpuSystemSeconds ?? 0);
        var methods = new List<string>();
        double cpuJoules;
        if (start is not null && end is not null)
        {
            var machine = end.MachineCpuSeconds - start.MachineCpuSeconds;
            var share = machine > 0 ? Math.Clamp(cpuSeconds / machine, 0, 1) : 1;
            cpuJoules = end.JoulesSince(start) * share;
            methods.Add(string.Create(CultureInfo.InvariantCulture, $"cpu: RAPL package energy × the trial's share of CPU time ({share:0.##})"));
        }
        else
        {
            cpuJoules = cpuSeconds * settings.CpuWattsPerCore;
            methods.Add(string.Create(CultureInfo.InvariantCulture, $"cpu: CPU time × {settings.CpuWattsPerCore:0.###} W per core (no RAPL)"));
        }
        var memoryJoules = usage.PeakMemoryBytes is { } peak ? peak / 1e9 * settings.MemoryWattsPerGb * usage.WallSeconds : 0;
        methods.Add(string.Create(CultureInfo.InvariantCulture, $"memory: peak × {settings.MemoryWattsPerGb:0.###} W/GB"));
        double? gpuJoules = null;
        if (gpuWatts is { } watts && usage.Gpus.Count > 0)
        {
            var share = usage.GpuMilli is > 0 and < 1000 ? usage.GpuMilli / 1000.0 : 1;
            gpuJoules = watts * usage.WallSeconds * share;
            methods.Add("gpu: nvidia-smi power draw" + (share < 1 ? string.Create(CultureInfo.InvariantCulture, $" × {share:0.###}") : string.Empty));
        }
        var wh = (cpuJoules + memoryJoules + (gpuJoules ?? 0)) / 3600;
        methods.Add(string.Create(CultureInfo.InvariantCulture, $"CO2: {settings.CarbonIntensity:0.#} g/kWh"));
        return usage with
        {
            EnergyWh = wh,
            EnergyCpuWh = cpuJoules / 3600,
            EnergyMemoryWh = memoryJoules / 3600,
            EnergyGpuWh = gpuJoules / 3600,
            Co2Grams = wh / 1000 * settings.CarbonIntensity,
            EnergyMethod = "estimate; " + string.Join("; ", methods),
        };
    }
}
