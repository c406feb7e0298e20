using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Expt.Execution;

/// <summary>
/// Kills a process with all its descendants. On Linux the tree is first frozen (SIGSTOP), so a shell cannot start a
/// new child between the scan and the kill, then scanned again and killed (SIGKILL); elsewhere .NET's tree kill.
/// </summary>
internal static partial class ProcessTree
{
    private const int SigKill = 9, SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a plain libc call with two ints; no marshalling to generate
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392

    public static void Kill(Process process)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var frozen = new HashSet<int>();
                for (var pass = 0; pass < 3; pass++)
                {
                    var found = Descendants(process.Id).Where(frozen.Add).ToList();
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
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall back to .NET's own tree kill.
            }
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
