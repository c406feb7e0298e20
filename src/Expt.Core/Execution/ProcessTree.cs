using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Expt.Execution;

/// <summary>
/// Kills a trial's processes. A trial runs as the leader of its own process group (see <see cref="TrialProcesses"/>),
/// so one signal reaches every process it started that stayed in the group; processes that left it (their own
/// session) are found by walking /proc from the trial's process. The tree is frozen (SIGSTOP) before it is killed
/// (SIGKILL), so a shell cannot start a new child between the scan and the kill. Elsewhere than Linux, .NET's tree kill.
/// </summary>
internal static partial class ProcessTree
{
    private const int SigKill = 9, SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a plain libc call with two ints; no marshalling to generate
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392

    public static void Kill(Process process, bool group)
    {
        if (OperatingSystem.IsLinux() && Kill(process.Id, group))
        {
            return;
        }
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Kills a process by id with its group and descendants (Linux); false when /proc could not be read.</summary>
    public static bool Kill(int root, bool group)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (group)
                {
                    KillGroup(root);
                }
                var frozen = new HashSet<int>();
                for (var pass = 0; pass < 3; pass++)
                {
                    var found = Descendants(root).Where(frozen.Add).ToList();
                    foreach (var pid in found)
                    {
                        SendSignal(pid, SigStop);
                    }
                    if (found.Count == 0 && pass > 0)
                    {
                        break;
                    }
                }
                foreach (var pid in frozen)
                {
                    SendSignal(pid, SigKill);
                }
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
            {
                // The caller falls back to .NET's own tree kill.
            }
        }
        return false;
    }

    /// <summary>True while any process is left in the process group <paramref name="group"/> (one signal-0 probe).</summary>
    public static bool GroupAlive(int group) => OperatingSystem.IsLinux() && group > 1 && SendSignal(-group, 0) == 0;

    /// <summary>Freezes then kills every process of a process group.</summary>
    public static void KillGroup(int group)
    {
        if (!OperatingSystem.IsLinux() || group <= 1)
        {
            return;
        }
        SendSignal(-group, SigStop);
        SendSignal(-group, SigKill);
    }

    /// <summary>Kills processes by id (frozen first, so none forks between the two signals).</summary>
    public static void KillAll(IReadOnlyCollection<int> pids)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        foreach (var pid in pids)
        {
            SendSignal(pid, SigStop);
        }
        foreach (var pid in pids)
        {
            SendSignal(pid, SigKill);
        }
    }

    /// <summary>True when a process with this id runs and started at <paramref name="startTicks"/> (from /proc, so a reused id does not match).</summary>
    public static bool IsRunning(int pid, long startTicks) => StartTicks(pid) == startTicks;

    /// <summary>A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or -1.</summary>
    public static long StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks) ? ticks : -1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Processes whose environment holds every one of <paramref name="variables"/> (NAME=value): how the processes
    /// of a dead runner, or what a trial left that escaped its group, are found. Only this user's processes are readable.
    /// </summary>
    public static List<int> WithEnvironment(IReadOnlyCollection<string> variables)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }
        var wanted = variables.Select(v => Encoding.UTF8.GetBytes(v + "\0")).ToList();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes(Path.Combine(dir, "environ"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // exited meanwhile, or another user's
            }
            if (wanted.All(w => Contains(environment, w)))
            {
                found.Add(pid);
            }
        }
        return found;
    }

    // NAME=value\0 at the start or after a NUL: a whole variable, not the tail of another.
    private static bool Contains(byte[] environment, byte[] variable) => IndexOfVariable(environment, variable) >= 0;

    /// <summary>
    /// Where a variable starts in a process's environment (the bytes of /proc/PID/environ), for <paramref name="prefix"/>
    /// <c>NAME=</c> or <c>NAME=value\0</c>: at the start or after a NUL, so never the tail of another variable; -1 when absent.
    /// </summary>
    public static int IndexOfVariable(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> prefix)
    {
        var offset = 0;
        var span = environment;
        for (var at = span.IndexOf(prefix); at >= 0; at = span.IndexOf(prefix))
        {
            if (offset + at == 0 || environment[offset + at - 1] == 0)
            {
                return offset + at;
            }
            offset += at + 1;
            span = environment[offset..];
        }
        return -1;
    }

    /// <summary>The process and every descendant, from /proc.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], out var ppid))
            {
                if (!parents.TryGetValue(ppid, out var children))
                {
                    parents[ppid] = children = [];
                }
                children.Add(pid);
            }
        }
        var result = new List<int> { root };
        for (var i = 0; i < result.Count; i++)
        {
            if (parents.TryGetValue(result[i], out var children))
            {
                result.AddRange(children);
            }
        }
        return result;
    }
}
