using System.Globalization;
using System.Text.Json;

namespace Expt.Resources;

/// <summary>
/// What one attempt of a trial was given and what it used, measured while it ran: stored with the trial (its
/// <c>usage</c>), shown by <c>expt show</c>, exported with the trials.
/// </summary>
public sealed record TrialUsage
{
    /// <summary>Cores given (<c>EXPT_CPUS</c>); 0 when the study declares no resources.</summary>
    public int Cpus { get; init; }

    /// <summary>GPU devices given (<c>CUDA_VISIBLE_DEVICES</c>), as the machine names them.</summary>
    public IReadOnlyList<string> Gpus { get; init; } = [];

    /// <summary>The share of each given GPU, in thousandths (500 for half a GPU).</summary>
    public int GpuMilli { get; init; }

    /// <summary>Wall time of the attempt.</summary>
    public double WallSeconds { get; init; }

    /// <summary>CPU time in user mode of the trial's process tree (its main process and every child it waited for).</summary>
    public double? CpuUserSeconds { get; init; }

    /// <summary>CPU time in kernel mode of the trial's process tree.</summary>
    public double? CpuSystemSeconds { get; init; }

    /// <summary>The highest memory (resident set) of the trial's whole process tree, sampled while it ran.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>
    /// How <see cref="PeakMemoryBytes"/> was measured: <c>cgroup v2</c> or <c>cgroup v1</c> (the kernel's peak of the
    /// trial's own control group: exact, every process it made, page cache of its own file I/O included), or
    /// <c>sampled</c> (the resident memory of its processes, summed every 200 ms).
    /// </summary>
    public string? MemoryMethod { get; init; }

    /// <summary>The most memory used on the trial's GPUs (the devices', sampled through nvidia-smi), or null.</summary>
    public long? PeakGpuMemoryBytes { get; init; }

    /// <summary>The mean utilisation of the trial's GPUs in percent (the devices', sampled), or null.</summary>
    public double? GpuUtilization { get; init; }

    /// <summary>The energy the trial used, estimated (see <see cref="EnergyMethod"/>): CPU, memory and GPUs, in Wh.</summary>
    public double? EnergyWh { get; init; }

    /// <summary>The CPU's part of <see cref="EnergyWh"/>.</summary>
    public double? EnergyCpuWh { get; init; }

    /// <summary>The memory's part of <see cref="EnergyWh"/>.</summary>
    public double? EnergyMemoryWh { get; init; }

    /// <summary>The GPUs' part of <see cref="EnergyWh"/>, or null without GPUs.</summary>
    public double? EnergyGpuWh { get; init; }

    /// <summary>The CO2 of <see cref="EnergyWh"/> at the machine's carbon intensity, in grams.</summary>
    public double? Co2Grams { get; init; }

    /// <summary>How the energy was estimated (RAPL or CPU time × watts per core, the memory and GPU figures, the carbon intensity).</summary>
    public string? EnergyMethod { get; init; }

    /// <summary>The mean power the trial's GPUs drew while it ran (nvidia-smi), in W, or null.</summary>
    public double? GpuPowerWatts { get; init; }

    /// <summary>CPU time over wall time × cores given (1 is every given core busy all the time); null when unknown.</summary>
    public double? CpuEfficiency => CpuUserSeconds is { } user && WallSeconds > 0
        ? (user + (CpuSystemSeconds ?? 0)) / (WallSeconds * Math.Max(1, Cpus))
        : null;

    /// <summary>The prefix of the usage metrics.</summary>
    public const string MetricPrefix = "usage.";

    /// <summary>
    /// What a trial used, as metrics <c>expt summary</c>, <c>plot</c>, <c>ls --sort</c> and where-expressions take by
    /// name: CPU seconds (user + system), CPU efficiency, peak memory in MiB, wall seconds, GPU memory and utilisation,
    /// estimated energy in Wh and CO2 in grams.
    /// </summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["usage.cpu_seconds", "usage.cpu_efficiency", "usage.peak_memory_mb", "usage.wall_seconds", "usage.gpu_peak_memory_mb", "usage.gpu_utilization", "usage.energy_wh", "usage.co2_g"];

    /// <summary>A usage metric by name (see <see cref="MetricNames"/>), or null when it was not measured.</summary>
    public double? Metric(string name) => (name switch
    {
        "usage.cpu_seconds" => CpuUserSeconds is { } user ? user + (CpuSystemSeconds ?? 0) : null,
        "usage.cpu_efficiency" => CpuEfficiency,
        "usage.peak_memory_mb" => PeakMemoryBytes is { } peak ? peak / (double)(1 << 20) : null,
        "usage.wall_seconds" => WallSeconds > 0 ? WallSeconds : null,
        "usage.gpu_peak_memory_mb" => PeakGpuMemoryBytes is { } gpuPeak ? gpuPeak / (double)(1 << 20) : null,
        "usage.gpu_utilization" => GpuUtilization,
        "usage.energy_wh" => EnergyWh,
        "usage.co2_g" => Co2Grams,
        _ => null,
    }) is { } value ? Math.Round(value, 6) : null;

    /// <summary>The JSON stored with the trial.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("cpus", Cpus);
            if (Gpus.Count > 0)
            {
                w.WriteStartArray("gpus");
                foreach (var gpu in Gpus)
                {
                    w.WriteStringValue(gpu);
                }
                w.WriteEndArray();
                w.WriteNumber("gpu_share", GpuMilli >= 1000 ? 1 : GpuMilli / 1000.0);
            }
            w.WriteNumber("wall_seconds", Math.Round(WallSeconds, 3));
            Number(w, "cpu_user_seconds", CpuUserSeconds);
            Number(w, "cpu_system_seconds", CpuSystemSeconds);
            if (PeakMemoryBytes is { } peak)
            {
                w.WriteNumber("peak_memory_bytes", peak);
            }
            if (MemoryMethod is { } method)
            {
                w.WriteString("memory_method", method);
            }
            Number(w, "cpu_efficiency", CpuEfficiency);
            if (PeakGpuMemoryBytes is { } gpuPeak)
            {
                w.WriteNumber("gpu_peak_memory_bytes", gpuPeak);
            }
            Number(w, "gpu_utilization", GpuUtilization);
            Number(w, "gpu_power_watts", GpuPowerWatts);
            Precise(w, "energy_wh", EnergyWh);
            Precise(w, "energy_cpu_wh", EnergyCpuWh);
            Precise(w, "energy_memory_wh", EnergyMemoryWh);
            Precise(w, "energy_gpu_wh", EnergyGpuWh);
            Precise(w, "co2_g", Co2Grams);
            if (EnergyMethod is { } energyMethod)
            {
                w.WriteString("energy_method", energyMethod);
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, 3));
        }
    }

    // A short trial's energy is a few mWh: kept to six significant digits, not three decimals.
    private static void Precise(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Reads stored usage; null for none or damaged JSON.</summary>
    public static TrialUsage? FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            // Stored rows are read without trusting them: a value of the wrong kind reads as not measured.
            double? D(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;
            long? L(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) && l >= 0 ? l : null;
            return new TrialUsage
            {
                Cpus = (int)Math.Clamp(L("cpus") ?? 0, 0, int.MaxValue),
                Gpus = r.TryGetProperty("gpus", out var g) && g.ValueKind == JsonValueKind.Array
                    ? [.. g.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                    : [],
                GpuMilli = D("gpu_share") is { } share ? (int)Math.Round(Math.Clamp(share, 0, 64) * 1000) : 0,
                WallSeconds = D("wall_seconds") ?? 0,
                CpuUserSeconds = D("cpu_user_seconds"),
                CpuSystemSeconds = D("cpu_system_seconds"),
                PeakMemoryBytes = L("peak_memory_bytes"),
                MemoryMethod = r.TryGetProperty("memory_method", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: <= 64 } text ? text : null,
                PeakGpuMemoryBytes = L("gpu_peak_memory_bytes"),
                GpuUtilization = D("gpu_utilization"),
                GpuPowerWatts = D("gpu_power_watts"),
                EnergyWh = D("energy_wh"),
                EnergyCpuWh = D("energy_cpu_wh"),
                EnergyMemoryWh = D("energy_memory_wh"),
                EnergyGpuWh = D("energy_gpu_wh"),
                Co2Grams = D("co2_g"),
                EnergyMethod = r.TryGetProperty("energy_method", out var em) && em.ValueKind == JsonValueKind.String && em.GetString() is { Length: <= 400 } emText ? emText : null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One line for people: <c>2 cpus, gpus 0,1; cpu 3.2 s user + 0.1 s system (82%); peak 1.2 GiB</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Cpus > 0)
        {
            parts.Add(Cpus == 1 ? "1 cpu" : $"{Cpus} cpus");
        }
        if (Gpus.Count > 0)
        {
            parts.Add($"gpu{(Gpus.Count > 1 ? "s" : string.Empty)} {string.Join(',', Gpus)}{(GpuMilli is > 0 and < 1000 ? $" ({(GpuMilli / 1000.0).ToString("0.###", CultureInfo.InvariantCulture)} of it)" : string.Empty)}");
        }
        if (CpuUserSeconds is { } user)
        {
            var efficiency = CpuEfficiency is { } e ? $" ({e * 100:0}% of {(Math.Max(1, Cpus) == 1 ? "a core" : $"{Math.Max(1, Cpus)} cores")})" : string.Empty;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"cpu {user:0.###} s user + {CpuSystemSeconds ?? 0:0.###} s system{efficiency}"));
        }
        if (PeakMemoryBytes is { } peak)
        {
            parts.Add($"peak memory {Sizes.Format(peak)}{(MemoryMethod is null ? string.Empty : $" ({Text.TerminalText.Escape(MemoryMethod)})")}");
        }
        if (PeakGpuMemoryBytes is { } gpuPeak)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"gpu memory {Sizes.Format(gpuPeak)}, {GpuUtilization ?? 0:0}% busy"));
        }
        if (EnergyWh is { } energy)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"energy {FormatWh(energy)}, {Co2Grams ?? 0:0.####} g CO2 ({Text.TerminalText.Escape(EnergyMethod ?? "estimate")})"));
        }
        return string.Join("; ", parts);
    }

    /// <summary>Energy for people: <c>0.42 mWh</c>, <c>3.1 Wh</c>, <c>1.2 kWh</c>.</summary>
    public static string FormatWh(double wh) => wh switch
    {
        >= 1000 => string.Create(CultureInfo.InvariantCulture, $"{wh / 1000:0.###} kWh"),
        >= 1 => string.Create(CultureInfo.InvariantCulture, $"{wh:0.###} Wh"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{wh * 1000:0.###} mWh"),
    };
}
