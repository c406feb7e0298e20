using System.Globalization;

namespace Expt.Execution;

/// <summary>
/// Samples the GPUs running trials were given, through <c>nvidia-smi</c>'s query interface (memory used,
/// utilisation and power draw per device), once a second while any is watched. A device shared by two trials (fractions) is
/// reported to both: the figures are the device's, not the process's. Nothing runs where there is no
/// <c>nvidia-smi</c> or no GPU trial.
/// </summary>
internal static class GpuUsageSampler
{
    /// <summary>How often the devices are sampled.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly Lock Gate = new();
    private static readonly HashSet<Watch> Watched = [];
    private static Task? _loop;

    /// <summary>A trial's devices being watched: the peak memory used and the utilisation seen on them.</summary>
    public sealed class Watch : IDisposable
    {
        private readonly Lock _lock = new();
        private long _peakBytes;
        private double _utilizationSum;
        private int _samples;
        private double _powerSum;
        private int _powerSamples;

        internal Watch(IReadOnlyList<string> devices) => Devices = devices;

        public IReadOnlyList<string> Devices { get; }

        /// <summary>The most memory used on the trial's devices at one sample (summed over them), or null before any sample.</summary>
        public long? PeakBytes
        {
            get
            {
                lock (_lock)
                {
                    return _samples == 0 ? null : _peakBytes;
                }
            }
        }

        /// <summary>The mean utilisation of the trial's devices over the samples, in percent, or null before any sample.</summary>
        public double? Utilization
        {
            get
            {
                lock (_lock)
                {
                    return _samples == 0 ? null : _utilizationSum / _samples;
                }
            }
        }

        /// <summary>The mean power the trial's devices drew (summed over them), in W, or null when nvidia-smi gave none.</summary>
        public double? PowerWatts
        {
            get
            {
                lock (_lock)
                {
                    return _powerSamples == 0 ? null : _powerSum / _powerSamples;
                }
            }
        }

        internal void Sample(long bytes, double utilization, double? watts)
        {
            lock (_lock)
            {
                _peakBytes = Math.Max(_peakBytes, bytes);
                _utilizationSum += utilization;
                _samples++;
                if (watts is { } w)
                {
                    _powerSum += w;
                    _powerSamples++;
                }
            }
        }

        public void Dispose()
        {
            lock (Gate)
            {
                Watched.Remove(this);
            }
        }
    }

    /// <summary>Starts watching <paramref name="devices"/> for a trial; null for none.</summary>
    public static Watch? Start(IReadOnlyList<string> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count == 0)
        {
            return null;
        }
        var watch = new Watch(devices);
        lock (Gate)
        {
            Watched.Add(watch);
            if (_loop is null || _loop.IsCompleted)
            {
                _loop = Task.Run(LoopAsync);
            }
        }
        return watch;
    }

    private static async Task LoopAsync()
    {
        while (true)
        {
            Watch[] watches;
            lock (Gate)
            {
                if (Watched.Count == 0)
                {
                    _loop = null;
                    return;
                }
                watches = [.. Watched];
            }
            if (Query() is { } devices)
            {
                foreach (var watch in watches)
                {
                    var mine = watch.Devices.Select(d => devices.TryGetValue(d, out var v) ? v : ((long, double, double?)?)null).Where(v => v is not null).Select(v => v!.Value).ToList();
                    if (mine.Count > 0)
                    {
                        // Power only when every device of the trial reported it ("[N/A]" on some boards).
                        var watts = mine.All(v => v.Item3 is not null) ? mine.Sum(v => v.Item3!.Value) : (double?)null;
                        watch.Sample(mine.Sum(v => v.Item1), mine.Average(v => v.Item2), watts);
                    }
                }
            }
            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }

    // "index, uuid, memory.used [MiB], utilization.gpu [%], power.draw [W]" per line; a device is known by its index
    // and by its UUID; a power of "[N/A]" is no figure.
    private static Dictionary<string, (long Bytes, double Utilization, double? Watts)>? Query()
    {
        if (Resources.NvidiaSmi.Query("index,uuid,memory.used,utilization.gpu,power.draw", TimeSpan.FromSeconds(5)) is not { } lines)
        {
            return null;
        }
        var devices = new Dictionary<string, (long, double, double?)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length >= 4
                && long.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib)
                && double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var utilization))
            {
                double? watts = fields.Length >= 5 && double.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && double.IsFinite(w) && w >= 0 ? w : null;
                devices[fields[0]] = (mib << 20, utilization, watts);
                devices[fields[1]] = (mib << 20, utilization, watts);
            }
        }
        return devices;
    }
}
