using System.Globalization;

namespace Expt.Execution;

/// <summary>
/// A trial measured by sampling /proc every <see cref="Interval"/>, where no control group of its own could be made:
/// the resident memory of its processes summed, the highest sum kept. Its processes are followed across sessions: the
/// main process's session, every descendant of a process already followed (a child that called <c>setsid</c>), and any
/// process started since the trial began that carries the trial's id in its environment (what a double fork leaves,
/// its parent gone). Only a process that does all three (a new session, a double fork between two samples, and a
/// cleared environment) escapes; a control group leaves none (see <see cref="CgroupMeter"/>). One scan of /proc per
/// tick serves every trial being watched; nothing runs while none is.
/// </summary>
internal sealed class SampledMeter : TrialMeter
{
    /// <summary>How often the processes are sampled.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static readonly Lock Gate = new();
    private static readonly List<SampledMeter> Watched = [];
    private static readonly long PageSize = Environment.SystemPageSize;
    private static Task? _loop;

    // The trial id each process carries in its environment (or null), read once per process: environments do not change.
    private static readonly Dictionary<(int Pid, long Start), string?> TrialOf = [];

    private readonly TaskCompletionSource _exceeded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _trialId;
    private readonly Func<IReadOnlyCollection<int>>? _members;
    private readonly Dictionary<int, long> _tracked = []; // pid → start time, so a reused pid is not taken for one of ours
    private long _peak;
    private int _session;
    private long _since;

    /// <summary>A meter that finds the trial's processes itself, or takes them from <paramref name="members"/> (a group's).</summary>
    public SampledMeter(string trialId, long? limit, Func<IReadOnlyCollection<int>>? members = null)
    {
        Limit = limit;
        _members = members;
        _trialId = trialId;
    }

    /// <summary>The most memory the processes may hold (<c>memory_limit</c>), or null.</summary>
    public long? Limit { get; }

    /// <inheritdoc />
    public override string Method => "sampled";

    /// <inheritdoc />
    public override Task Exceeded => _exceeded.Task;

    /// <inheritdoc />
    public override bool OutOfMemory => _exceeded.Task.IsCompleted;

    /// <inheritdoc />
    public override long PeakBytes => Interlocked.Read(ref _peak);

    /// <inheritdoc />
    public override void Started(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        lock (Gate)
        {
            _session = pid;
            _since = ProcessTree.StartTicks(pid);
            if (_since < 0)
            {
                // Ended already (a trial of a few milliseconds): nothing to follow from it.
                return;
            }
            _tracked[pid] = _since;
            Watched.Add(this);
            if (_loop is null || _loop.IsCompleted)
            {
                _loop = Task.Run(LoopAsync);
            }
        }
    }

    /// <inheritdoc />
    public override IReadOnlyCollection<int> Alive()
    {
        if (_members is not null)
        {
            return [.. _members()];
        }
        // What the samples found (a process made since the last one is found by the look KillAll takes first).
        lock (Gate)
        {
            return _tracked.Where(t => t.Value >= 0 && ProcessTree.StartTicks(t.Key) == t.Value).Select(t => t.Key).ToList();
        }
    }

    /// <inheritdoc />
    public override void KillAll()
    {
        if (_members is null)
        {
            // One more look, so a process made since the last sample is found too.
            Scan([this]);
        }
        for (var round = 0; round < 5; round++)
        {
            var alive = Alive();
            if (alive.Count == 0)
            {
                return;
            }
            ProcessTree.KillAll(alive);
            Thread.Sleep(10);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        lock (Gate)
        {
            Watched.Remove(this);
        }
    }

    private void Sample(long bytes)
    {
        long current;
        while (bytes > (current = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, bytes, current) != current)
        {
        }
        if (bytes > Limit)
        {
            _exceeded.TrySetResult();
        }
    }

    private static async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            SampledMeter[] meters;
            lock (Gate)
            {
                if (Watched.Count == 0)
                {
                    _loop = null;
                    return;
                }
                meters = [.. Watched];
            }
            Scan(meters);
        }
    }

    /// <summary>One look at /proc for every meter: who belongs to each trial now, and what they hold.</summary>
    internal static void Scan(IReadOnlyList<SampledMeter> meters)
    {
        var processes = ReadAll();
        lock (Gate)
        {
            foreach (var gone in TrialOf.Keys.Where(k => !processes.TryGetValue(k.Pid, out var p) || p.Start != k.Start).ToList())
            {
                TrialOf.Remove(gone);
            }
        }
        foreach (var meter in meters)
        {
            long sum = 0;
            if (meter._members is { } members)
            {
                foreach (var pid in members())
                {
                    sum += processes.TryGetValue(pid, out var p) ? p.RssPages * PageSize : 0;
                }
                meter.Sample(sum);
                continue;
            }
            lock (Gate)
            {
                // Descendants first (to a fixed point: a chain of children), then the session, then the environment.
                bool grew;
                do
                {
                    grew = false;
                    foreach (var (pid, p) in processes)
                    {
                        if (meter._tracked.ContainsKey(pid) || p.Start < meter._since)
                        {
                            continue;
                        }
                        if (p.Session == meter._session || (meter._tracked.TryGetValue(p.Parent, out var parentStart) && processes.TryGetValue(p.Parent, out var parent) && parent.Start == parentStart)
                            || TrialIdOf(pid, p.Start) == meter._trialId)
                        {
                            meter._tracked[pid] = p.Start;
                            grew = true;
                        }
                    }
                }
                while (grew);
                foreach (var (pid, start) in meter._tracked)
                {
                    if (processes.TryGetValue(pid, out var p) && p.Start == start)
                    {
                        sum += p.RssPages * PageSize;
                    }
                }
            }
            meter.Sample(sum);
        }
    }

    private readonly record struct Proc(int Parent, int Session, long Start, long RssPages);

    // /proc/PID/stat: "pid (comm) state ppid pgrp session ... starttime(22) vsize rss(24)": the name may hold spaces and
    // parentheses, so the fields are counted from the last ')'.
    private static Dictionary<int, Proc> ReadAll()
    {
        var all = new Dictionary<int, Proc>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return all;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(entry, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // ended meanwhile
            }
            var close = text.LastIndexOf(')');
            if (close < 0)
            {
                continue;
            }
            var f = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 21 && f[0] is not ("Z" or "X")
                && int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent)
                && int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
                && long.TryParse(f[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
                && long.TryParse(f[21], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rss))
            {
                all[pid] = new Proc(parent, session, start, rss);
            }
        }
        return all;
    }

    // The trial id a process carries (EXPT_TRIAL_ID in its environment), read once (only this user's are readable).
    private static string? TrialIdOf(int pid, long start)
    {
        if (TrialOf.TryGetValue((pid, start), out var known))
        {
            return known;
        }
        string? id = null;
        try
        {
            var environment = File.ReadAllBytes($"/proc/{pid}/environ");
            var marker = "EXPT_TRIAL_ID="u8;
            if (ProcessTree.IndexOfVariable(environment, marker) is var at and >= 0)
            {
                var value = environment.AsSpan(at + marker.Length);
                var end = value.IndexOf((byte)0);
                id = System.Text.Encoding.UTF8.GetString(end < 0 ? value : value[..end]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Ended meanwhile, or another user's: not one of ours.
        }
        TrialOf[(pid, start)] = id;
        return id;
    }
}
