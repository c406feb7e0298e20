using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// The figures energy and CO2 are estimated with, as codecarbon estimates them. They belong to the machine a trial
/// runs on (its processor, its grid), so they come from that machine's environment: <c>EXPT_CPU_WATTS_PER_CORE</c>,
/// <c>EXPT_MEMORY_WATTS_PER_GB</c>, <c>EXPT_CARBON_INTENSITY</c> (g CO2 per kWh) and <c>EXPT_POWERCAP</c> (where the
/// RAPL counters are, <c>/sys/class/powercap</c>).
/// </summary>
public sealed record EnergySettings
{
    /// <summary>A busy core of a current desktop or server processor: a 125 W, 12-core part at full load is about 10 W a core.</summary>
    public const double DefaultCpuWattsPerCore = 10;

    /// <summary>codecarbon's figure for memory: 3 W per 8 GB.</summary>
    public const double DefaultMemoryWattsPerGb = 0.375;

    /// <summary>The world's average carbon intensity of electricity (g CO2 per kWh), codecarbon's figure when the grid is unknown.</summary>
    public const double DefaultCarbonIntensity = 475;

    /// <summary>Watts one core draws per second of CPU time, when RAPL cannot be read.</summary>
    public double CpuWattsPerCore { get; init; } = DefaultCpuWattsPerCore;

    /// <summary>Watts per GB of the trial's peak memory, over its wall time.</summary>
    public double MemoryWattsPerGb { get; init; } = DefaultMemoryWattsPerGb;

    /// <summary>Grams of CO2 per kWh of the grid the machine draws from.</summary>
    public double CarbonIntensity { get; init; } = DefaultCarbonIntensity;

    /// <summary>Where the RAPL energy counters are.</summary>
    public string PowercapRoot { get; init; } = "/sys/class/powercap";

    /// <summary>The settings of this machine: defaults, less what its environment sets (a value that is not a positive number is ignored).</summary>
    public static EnergySettings FromEnvironment(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var defaults = new EnergySettings();
        return new EnergySettings
        {
            CpuWattsPerCore = Positive(variable("EXPT_CPU_WATTS_PER_CORE")) ?? defaults.CpuWattsPerCore,
            MemoryWattsPerGb = Positive(variable("EXPT_MEMORY_WATTS_PER_GB")) ?? defaults.MemoryWattsPerGb,
            CarbonIntensity = Positive(variable("EXPT_CARBON_INTENSITY")) ?? defaults.CarbonIntensity,
            PowercapRoot = variable("EXPT_POWERCAP") is { Length: > 0 } root ? root : defaults.PowercapRoot,
        };
    }

    /// <summary>The settings of the machine this process runs on.</summary>
    public static EnergySettings Machine { get; } = FromEnvironment(Environment.GetEnvironmentVariable);

    private static double? Positive(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0 ? value : null;
}
