using Expt.Resources;

namespace Expt.Core.Tests;

/// <summary>Energy and CO2 per trial as codecarbon estimates them, from RAPL counters (a stand-in tree here) or CPU time.</summary>
public sealed class EnergyEstimateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("expt-rapl-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Zone(string name, long microJoules, long? range = null)
    {
        Directory.CreateDirectory(Path.Combine(_root, name));
        File.WriteAllText(Path.Combine(_root, name, "energy_uj"), microJoules.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        if (range is { } r)
        {
            File.WriteAllText(Path.Combine(_root, name, "max_energy_range_uj"), r.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static TrialUsage Usage(double cpu = 3.6, long memory = 1_000_000_000, double wall = 3600) =>
        new() { CpuUserSeconds = cpu, CpuSystemSeconds = 0, PeakMemoryBytes = memory, WallSeconds = wall };

    [Fact]
    public void Without_rapl_the_cpu_is_its_cpu_time_times_the_power_per_core_and_memory_its_peak_over_its_wall_time()
    {
        var usage = EnergyEstimate.Apply(Usage(), null, null, null, new EnergySettings());
        usage.EnergyCpuWh!.Value.ShouldBe(0.01, 1e-12);         // 3.6 s × 10 W = 36 J
        usage.EnergyMemoryWh!.Value.ShouldBe(0.375, 1e-12);     // 1 GB × 0.375 W × 1 h
        usage.EnergyGpuWh.ShouldBeNull();
        usage.EnergyWh!.Value.ShouldBe(0.385, 1e-12);
        usage.Co2Grams!.Value.ShouldBe(0.385 / 1000 * 475, 1e-12);
        usage.EnergyMethod.ShouldBe("estimate; cpu: CPU time × 10 W per core (no RAPL); memory: peak × 0.375 W/GB; CO2: 475 g/kWh");
        usage.Metric("usage.energy_wh").ShouldBe(0.385);
        var stored = TrialUsage.FromJson(usage.ToJson())!;
        stored.EnergyWh.ShouldBe(0.385);
        stored.EnergyMethod.ShouldBe(usage.EnergyMethod);
        usage.ToString().ShouldContain("energy 385 mWh, 0.1829 g CO2 (estimate; cpu: CPU time × 10 W per core");
    }

    [Fact]
    public void The_settings_come_from_the_machines_environment_and_a_bad_value_keeps_the_default()
    {
        var env = new Dictionary<string, string> { ["EXPT_CPU_WATTS_PER_CORE"] = "4.5", ["EXPT_CARBON_INTENSITY"] = "-3", ["EXPT_MEMORY_WATTS_PER_GB"] = "x" };
        var settings = EnergySettings.FromEnvironment(name => env.GetValueOrDefault(name));
        settings.ShouldBe(new EnergySettings { CpuWattsPerCore = 4.5 });
        var usage = EnergyEstimate.Apply(Usage(cpu: 8, memory: 0), null, null, null, settings with { CarbonIntensity = 50 });
        usage.EnergyWh!.Value.ShouldBe(0.01, 1e-12);
        usage.Co2Grams!.Value.ShouldBe(0.0005, 1e-12);
    }

    [Fact]
    public void Rapl_package_energy_is_shared_by_cpu_time_sub_zones_are_not_counted_twice_and_a_wrapped_counter_goes_round()
    {
        Zone("intel-rapl:0", 1_000_000);
        Zone("intel-rapl:0:0", 500);                 // the package's cores: inside its figure
        Zone("intel-rapl:1", 900_000_000, range: 1_000_000_000);
        var start = RaplCounter.Read(_root).ShouldNotBeNull();
        start.Packages.Select(p => p.Domain).ShouldBe(["intel-rapl:0", "intel-rapl:1"]);
        Zone("intel-rapl:0", 3_000_000);             // +2 J
        Zone("intel-rapl:0:0", 9_999_999);
        Zone("intel-rapl:1", 100_000_000, range: 1_000_000_000); // wrapped: +200 J
        var end = RaplCounter.Read(_root).ShouldNotBeNull();
        end.JoulesSince(start).ShouldBe(202, 1e-9);

        // The trial used a quarter of the machine's CPU time meanwhile: a quarter of the packages' energy.
        var usage = EnergyEstimate.Apply(Usage(cpu: 1, memory: 0), start with { MachineCpuSeconds = 0 }, end with { MachineCpuSeconds = 4 }, null, new EnergySettings());
        usage.EnergyCpuWh!.Value.ShouldBe(202 * 0.25 / 3600, 1e-12);
        usage.EnergyMethod.ShouldStartWith("estimate; cpu: RAPL package energy × the trial's share of CPU time (0.25)");
    }

    [Fact]
    public void No_rapl_tree_or_an_unreadable_counter_is_no_counter_and_nothing_measured_is_no_figure()
    {
        RaplCounter.Read(Path.Combine(_root, "absent")).ShouldBeNull();
        RaplCounter.Read(_root).ShouldBeNull();
        Zone("intel-rapl:0", 5);
        File.WriteAllText(Path.Combine(_root, "intel-rapl:0", "energy_uj"), "garbage");
        RaplCounter.Read(_root).ShouldBeNull();
        // A counter file of 20 MB is read by its first bytes only, and is no counter.
        File.WriteAllText(Path.Combine(_root, "intel-rapl:0", "energy_uj"), new string('7', 20 << 20));
        RaplCounter.Read(_root).ShouldBeNull();
        EnergyEstimate.Apply(new TrialUsage { WallSeconds = 5 }, null, null, null, new EnergySettings()).EnergyWh.ShouldBeNull();
    }

    [Fact]
    public void A_gpu_trial_adds_its_share_of_the_power_nvidia_smi_reported()
    {
        var usage = EnergyEstimate.Apply(Usage(cpu: 0, memory: 0, wall: 36) with { Gpus = ["0"], GpuMilli = 500 }, null, null, 200, new EnergySettings());
        usage.EnergyGpuWh!.Value.ShouldBe(200 * 36 * 0.5 / 3600, 1e-12);
        usage.EnergyMethod!.ShouldContain("gpu: nvidia-smi power draw × 0.5");
    }
}
