using System.Globalization;

namespace Expt.Execution;

/// <summary>
/// Where this runner may make a control group of its own for each trial, found once per process: under its own cgroup,
/// in the cgroup v2 hierarchy (with the memory controller when it is enabled there) and in a cgroup v1 memory
/// hierarchy, wherever they are writable. A trial's processes join its groups before the trial's program starts, so
/// every process it ever makes is in them whatever it does (a new session, a double fork, <c>env -i</c>): what they
/// hold is measured by the kernel, and they are found to be ended. <c>EXPT_MEASURE=sampled</c> turns this off (the
/// fallback, sampling /proc, is then used; its tests use it).
/// </summary>
internal static class Cgroups
{
    private static readonly Lazy<Layout> Found = new(Discover);

    /// <summary>The parents of this runner's trial groups.</summary>
    /// <param name="V2">The cgroup v2 parent (membership, CPU time, and memory when <paramref name="V2Memory"/>), or null.</param>
    /// <param name="V2Memory">True when the v2 groups have the memory controller (memory.peak, memory.max).</param>
    /// <param name="V1Memory">The cgroup v1 memory parent, or null.</param>
    internal sealed record Layout(string? V2, bool V2Memory, string? V1Memory)
    {
        public static Layout None { get; } = new(null, false, null);

        /// <summary>This runner's own v2 group (the parent's parent), where it returns after starting a trial.</summary>
        public string? OwnV2 => V2 is null ? null : Path.GetDirectoryName(V2);

        /// <summary>This runner's own v1 memory group.</summary>
        public string? OwnV1Memory => V1Memory is null ? null : Path.GetDirectoryName(V1Memory);

        public bool Any => V2 is not null || V1Memory is not null;
    }

    /// <summary>What this process found (cached).</summary>
    public static Layout Current => Found.Value;

    private static Layout Discover()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("EXPT_MEASURE") is "sampled" or "none")
        {
            return Layout.None;
        }
        try
        {
            var (v2Path, v1MemoryPath) = OwnCgroups();
            var (v2Mount, v1Memory) = Mounts();
            string? v2 = null;
            var v2HasMemory = false;
            if (v2Path is not null && v2Mount is not null)
            {
                v2 = MakeParent(Combine(v2Mount.Value.Point, v2Mount.Value.Root, v2Path));
                // The memory controller reaches the trials' groups when this runner's own group hands it down (its
                // owner's choice, never changed here); the parent made for them, holding no process, hands it on.
                v2HasMemory = v2 is not null && File.Exists(Path.Combine(v2, "memory.max")) && TryWrite(Path.Combine(v2, "cgroup.subtree_control"), "+memory");
            }
            var v1 = v1MemoryPath is not null && v1Memory is not null && Environment.GetEnvironmentVariable("EXPT_MEASURE") != "cgroup2"
                ? MakeParent(Combine(v1Memory.Value.Point, v1Memory.Value.Root, v1MemoryPath))
                : null;
            return new Layout(v2, v2HasMemory, v1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return Layout.None;
        }
    }

    /// <summary>This process's cgroup in the v2 hierarchy and in the v1 memory hierarchy, from /proc/self/cgroup.</summary>
    private static (string? V2, string? V1Memory) OwnCgroups()
    {
        string? v2 = null, v1 = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup").Take(64))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }
            if (parts[0] == "0" && parts[1].Length == 0)
            {
                v2 = parts[2];
            }
            else if (parts[1].Split(',').Contains("memory"))
            {
                v1 = parts[2];
            }
        }
        return (v2, v1);
    }

    /// <summary>Where the v2 hierarchy and the v1 memory hierarchy are mounted (and which of their folders is the mount's root).</summary>
    private static ((string Point, string Root)? V2, (string Point, string Root)? V1Memory) Mounts()
    {
        (string, string)? v2 = null, v1 = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo").Take(4096))
        {
            // "id parent major:minor root mountpoint options - fstype source superoptions"
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }
            var fields = line[..dash].Split(' ');
            var after = line[(dash + 3)..].Split(' ');
            if (fields.Length < 5 || after.Length < 3)
            {
                continue;
            }
            var (root, point) = (Unescape(fields[3]), Unescape(fields[4]));
            if (after[0] == "cgroup2")
            {
                v2 ??= (point, root);
            }
            else if (after[0] == "cgroup" && after[2].Split(',').Contains("memory"))
            {
                v1 ??= (point, root);
            }
        }
        return (v2, v1);
    }

    // mountinfo escapes space, tab, newline and backslash as octal (\040).
    private static string Unescape(string field) => field.Contains('\\', StringComparison.Ordinal)
        ? System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString())
        : field;

    private static string Combine(string point, string root, string path)
    {
        var relative = root == "/" ? path : path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : path;
        return Path.Combine(point, relative.TrimStart('/'));
    }

    /// <summary>Makes <c>expt-PID</c> under <paramref name="own"/> (this runner's trials' parent), clearing those of dead runners; null when not writable.</summary>
    private static string? MakeParent(string own)
    {
        if (!Directory.Exists(own))
        {
            return null;
        }
        foreach (var stale in Directory.EnumerateDirectories(own, "expt-*").Take(256))
        {
            if (int.TryParse(Path.GetFileName(stale)["expt-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                Remove(stale);
            }
        }
        var parent = Path.Combine(own, $"expt-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            Directory.CreateDirectory(parent);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(parent);
            // A probe: a group can be made below it (and removed), so trial groups can.
            var probe = Path.Combine(parent, "probe");
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return parent;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes a group and the (empty) groups below it; a group with a process left in it stays.</summary>
    public static void Remove(string group)
    {
        try
        {
            foreach (var child in Directory.EnumerateDirectories(group).ToList())
            {
                Remove(child);
            }
            Directory.Delete(group);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still in use (a process that could not be ended), or gone: the next runner here tries again.
        }
    }

    /// <summary>Writes a control file; false when refused.</summary>
    public static bool TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads a control file's number (a single value, or a <c>key value</c> line of it); null when absent.</summary>
    public static long? Read(string path, string? key = null)
    {
        try
        {
            foreach (var line in File.ReadLines(path).Take(256))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (key is null && parts.Length == 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
                if (key is not null && parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var keyed))
                {
                    return keyed;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>A control file of <c>key value</c> lines, as a dictionary; null when absent.</summary>
    public static Dictionary<string, long>? ReadAll(string path)
    {
        try
        {
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path).Take(256))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    values[parts[0]] = value;
                }
            }
            return values;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The processes in a group (<c>cgroup.procs</c>).</summary>
    public static List<int> Processes(string group)
    {
        var pids = new List<int>();
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(group, "cgroup.procs")).Take(100_000))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return pids;
    }
}
