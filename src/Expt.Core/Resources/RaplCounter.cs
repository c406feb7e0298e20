using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// The processor packages' energy counters (Intel and AMD RAPL, <c>/sys/class/powercap/intel-rapl:N/energy_uj</c>) and
/// the machine's busy CPU time (<c>/proc/stat</c>), read together so a trial's share of the packages' energy can be
/// taken by its share of the CPU time spent while it ran. Null where the counters cannot be read (no RAPL, a VM, or
/// not readable by this user since the kernel restricted them).
/// </summary>
internal sealed record RaplCounter(IReadOnlyList<(string Domain, long MicroJoules, long RangeMicroJoules)> Packages, double MachineCpuSeconds)
{
    /// <summary>Reads every package domain under <paramref name="root"/>; null when there is none or one cannot be read.</summary>
    public static RaplCounter? Read(string root)
    {
        try
        {
            if (!Directory.Exists(root))
            {
                return null;
            }
            // Packages are the top-level zones (intel-rapl:0, intel-rapl:1); their sub-zones (intel-rapl:0:0, core,
            // uncore, dram) are parts of the package's figure, counted once with it.
            var packages = new List<(string, long, long)>();
            foreach (var zone in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(zone);
                if (name.Count(c => c == ':') != 1 || !File.Exists(Path.Combine(zone, "energy_uj")))
                {
                    continue;
                }
                var energy = ReadLong(Path.Combine(zone, "energy_uj"));
                var range = File.Exists(Path.Combine(zone, "max_energy_range_uj")) ? ReadLong(Path.Combine(zone, "max_energy_range_uj")) : long.MaxValue;
                if (energy is null)
                {
                    return null;
                }
                packages.Add((name, energy.Value, range ?? long.MaxValue));
            }
            return packages.Count == 0 ? null : new RaplCounter(packages, MachineCpu());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The joules the packages used since <paramref name="start"/> (a counter that wrapped is taken round its range).</summary>
    public double JoulesSince(RaplCounter start)
    {
        ArgumentNullException.ThrowIfNull(start);
        double joules = 0;
        foreach (var (domain, now, range) in Packages)
        {
            var before = start.Packages.FirstOrDefault(p => p.Domain == domain);
            if (before.Domain is null)
            {
                continue;
            }
            var delta = now >= before.MicroJoules ? now - before.MicroJoules : range - before.MicroJoules + now;
            joules += delta / 1e6;
        }
        return joules;
    }

    // The busy time of every CPU of the machine, in seconds: user, nice, system, irq, softirq and steal of /proc/stat's
    // first line, in USER_HZ (100 a second on every Linux).
    private static double MachineCpu()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is null || fields.Length < 9 || fields[0] != "cpu")
            {
                return 0;
            }
            long Field(int i) => long.TryParse(fields[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
            return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // A counter is a short line; only its first 32 bytes are read, whatever the file holds.
    private static long? ReadLong(string path)
    {
        Span<byte> buffer = stackalloc byte[32];
        using var file = File.OpenRead(path);
        var read = file.Read(buffer);
        var text = System.Text.Encoding.ASCII.GetString(buffer[..read]).Trim();
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : null;
    }
}
