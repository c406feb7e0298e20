using System.Globalization;

namespace Expt.Execution;

/// <summary>
/// A trial in control groups of its own: in the cgroup v2 hierarchy (membership and CPU time; memory too when the
/// controller is there) and in a cgroup v1 memory hierarchy when there is one. The trial's first process is born in
/// them: the runner steps into the trial's groups for the instant of the spawn (one trial at a time) and back, so the
/// child, its program's loading and everything it starts are counted there, as <c>clone3(CLONE_INTO_CGROUP)</c> would
/// have it. Its
/// memory peak is the kernel's (<c>memory.peak</c>, or <c>memory.max_usage_in_bytes</c>), which also counts the page
/// cache of files the trial itself reads or writes; <c>memory_limit</c> becomes the group's limit (<c>memory.max</c>,
/// <c>memory.limit_in_bytes</c>, swap included), enforced by the kernel.
/// </summary>
internal sealed class CgroupMeter : TrialMeter
{
    private static int _counter;

    // One trial starts at a time: the runner is in that trial's groups while it does.
    private static readonly Lock SpawnGate = new();
    private readonly Cgroups.Layout _layout;
    private readonly long? _limit;
    private readonly string? _v2;
    private readonly bool _v2Memory;
    private readonly string? _v1;
    private readonly SampledMeter? _sampled;

    private CgroupMeter(Cgroups.Layout layout, string? v2, bool v2Memory, string? v1, SampledMeter? sampled, long? limit)
    {
        _layout = layout;
        _limit = limit;
        _v2 = v2;
        _v2Memory = v2Memory;
        _v1 = v1;
        _sampled = sampled;
    }

    /// <summary>Makes the trial's groups; null when they cannot be made (the caller samples instead).</summary>
    public static CgroupMeter? TryCreate(Cgroups.Layout layout, string trialId, long? memoryLimit)
    {
        var name = $"t-{Sanitize(trialId)}-{Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture)}";
        string? Make(string? parent)
        {
            if (parent is null)
            {
                return null;
            }
            try
            {
                var group = Path.Combine(parent, name);
                Directory.CreateDirectory(group);
                return group;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        // One hierarchy: each one joined costs the spawn a migration of the runner in and out (a millisecond or so).
        // The one that measures memory; the v2 hierarchy without it only for membership, when there is nothing else.
        var v2 = layout.V2Memory || layout.V1Memory is null ? Make(layout.V2) : null;
        var v1 = v2 is null ? Make(layout.V1Memory) : null;
        if (v2 is null && v1 is null)
        {
            return null;
        }
        var v2Memory = v2 is not null && layout.V2Memory;
        if (v1 is not null)
        {
            // What the first process was charged before it moved in comes with it (anonymous and file pages).
            Cgroups.TryWrite(Path.Combine(v1, "memory.move_charge_at_immigrate"), "3");
        }
        // No memory controller in any group: membership is exact, memory is sampled over the group's processes.
        var sampled = !v2Memory && v1 is null ? new SampledMeter(trialId, memoryLimit, () => Cgroups.Processes(v2!)) : null;
        return new CgroupMeter(layout, v2, v2Memory, v1, sampled, memoryLimit);
    }

    private static string Sanitize(string id) => new([.. id.Take(32).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    /// <inheritdoc />
    public override string Method => _v2Memory ? "cgroup v2" : _v1 is not null ? "cgroup v1" : "sampled (cgroup v2 membership)";

    /// <inheritdoc />
    public override Task Exceeded => _sampled?.Exceeded ?? Task.Delay(Timeout.Infinite);

    /// <inheritdoc />
    public override long PeakBytes => _sampled?.PeakBytes ?? Readings.Peak;

    /// <inheritdoc />
    public override bool OutOfMemory => (_v2Memory ? Cgroups.Read(Path.Combine(_v2!, "memory.events"), "oom_kill")
        : _v1 is not null ? Cgroups.Read(Path.Combine(_v1, "memory.oom_control"), "oom_kill")
        : null) > 0 || _sampled?.Exceeded.IsCompleted == true;

    /// <inheritdoc />
    public override (double User, double System)? Cpu => Readings.Cpu;

    // The group's figures, read once when the usage is recorded (after what the trial left running was ended): every
    // read is a system call into cgroupfs.
    private (long Peak, (double User, double System)? Cpu) Readings => _readings ??= Read();

    private (long Peak, (double User, double System)? Cpu)? _readings;

    private (long, (double, double)?) Read()
    {
        var peak = _v2Memory ? Cgroups.Read(Path.Combine(_v2!, "memory.peak")) ?? 0
            : _v1 is not null ? Cgroups.Read(Path.Combine(_v1, "memory.max_usage_in_bytes")) ?? 0
            : 0;
        (double, double)? cpu = null;
        if (_v2 is not null && Cgroups.ReadAll(Path.Combine(_v2, "cpu.stat")) is { } stat && stat.TryGetValue("user_usec", out var user) && stat.TryGetValue("system_usec", out var system))
        {
            cpu = (user / 1e6, system / 1e6);
        }
        return (peak, cpu);
    }

    /// <summary>
    /// Steps this runner into the trial's groups until disposed: the process started meanwhile is born there (its
    /// program's loading counted), and the runner goes back to its own groups. A runner in a trial's group for those
    /// microseconds adds to the trial at most what its threads allocate in them.
    /// </summary>
    public override IDisposable Enter()
    {
        SpawnGate.Enter();
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var moved = new List<string>();
        foreach (var (trial, own) in new[] { (_v2, _layout.OwnV2), (_v1, _layout.OwnV1Memory) })
        {
            if (trial is not null && own is not null && Cgroups.TryWrite(Path.Combine(trial, "cgroup.procs"), self))
            {
                moved.Add(own);
            }
        }
        return new Return(moved, self);
    }

    private sealed class Return(List<string> groups, string self) : IDisposable
    {
        public void Dispose()
        {
            foreach (var own in groups)
            {
                Cgroups.TryWrite(Path.Combine(own, "cgroup.procs"), self);
            }
            SpawnGate.Exit();
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> JoinFiles => new[] { _v2, _v1 }.OfType<string>().Select(g => Path.Combine(g, "cgroup.procs")).ToList();

    /// <inheritdoc />
    public override void Started(int pid)
    {
        // The limit is set once the runner has left the group: the kernel's out-of-memory killer chooses by size, and
        // must never choose the runner.
        if (_limit is { } limit)
        {
            var bytes = limit.ToString(CultureInfo.InvariantCulture);
            if (_v2Memory)
            {
                Cgroups.TryWrite(Path.Combine(_v2!, "memory.max"), bytes);
                Cgroups.TryWrite(Path.Combine(_v2!, "memory.swap.max"), "0");
            }
            else if (_v1 is not null)
            {
                Cgroups.TryWrite(Path.Combine(_v1, "memory.limit_in_bytes"), bytes);
                Cgroups.TryWrite(Path.Combine(_v1, "memory.memsw.limit_in_bytes"), bytes); // swap too, when accounted
            }
        }
        // Born in the groups (see Enter); should a group have refused the runner, the process is moved in now, with
        // any child it made in that instant.
        var groups = new[] { _v2, _v1 }.Where(g => g is not null).Select(g => Path.Combine(g!, "cgroup.procs")).ToList();
        var missing = groups.Where(g => !Cgroups.Processes(Path.GetDirectoryName(g)!).Contains(pid)).ToList();
        if (missing.Count > 0 && missing.Select(g => Cgroups.TryWrite(g, pid.ToString(CultureInfo.InvariantCulture))).ToList().Any(ok => ok))
        {
            foreach (var child in Children(pid))
            {
                foreach (var procs in missing)
                {
                    Cgroups.TryWrite(procs, child.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        _sampled?.Started(pid);
    }

    // The children of a process (Linux's /proc/PID/task/PID/children), and theirs.
    private static List<int> Children(int pid)
    {
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0 && found.Count < 1024)
        {
            var parent = queue.Dequeue();
            try
            {
                foreach (var text in File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                    {
                        found.Add(child);
                        queue.Enqueue(child);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Ended meanwhile.
            }
        }
        return found;
    }

    /// <inheritdoc />
    public override IReadOnlyCollection<int> Alive() => Members().Where(p => Directory.Exists($"/proc/{p}") && !IsZombie(p)).ToList();

    private HashSet<int> Members()
    {
        var pids = new HashSet<int>();
        foreach (var group in new[] { _v2, _v1 })
        {
            if (group is not null)
            {
                pids.UnionWith(Cgroups.Processes(group));
            }
        }
        return pids;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.Length > stat.LastIndexOf(')') + 2 && stat[stat.LastIndexOf(')') + 2] is 'Z' or 'X';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <inheritdoc />
    public override void KillAll()
    {
        // cgroup.kill (Linux 5.14) ends the whole group at once, forks in flight included; else freeze and kill, again
        // until the group is empty.
        if (_v2 is not null && File.Exists(Path.Combine(_v2, "cgroup.kill")) && Cgroups.TryWrite(Path.Combine(_v2, "cgroup.kill"), "1"))
        {
            return;
        }
        for (var round = 0; round < 10; round++)
        {
            var pids = Members();
            if (pids.Count == 0)
            {
                return;
            }
            ProcessTree.KillAll(pids);
            Thread.Sleep(10);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _sampled?.Dispose();
        foreach (var group in new[] { _v2, _v1 })
        {
            if (group is not null)
            {
                Cgroups.Remove(group);
            }
        }
    }
}
