using System.Diagnostics;

namespace Expt.Execution;

/// <summary>
/// Ties every trial process to the runner (this process) that started it, the way a batch system ties a job step's
/// processes to the step. On Linux:
/// <list type="bullet">
/// <item>each trial starts as the leader of its own session and process group (glibc's <c>posix_spawn</c> with
/// <c>POSIX_SPAWN_SETSID</c>, else util-linux <c>setsid</c>),
/// so when its main process exits, whatever it left in its group is ended with one signal; and a Ctrl+C at the
/// terminal reaches Expt, which decides, rather than every trial at once;</item>
/// <item>each trial carries <c>EXPT_RUNNER=TOKEN</c> in its environment, inherited by all it starts;</item>
/// <item>a small watcher (<c>sh</c>, in its own session) holds a pipe from this process: when this process ends,
/// however it ends (kill -9 included), the pipe closes and the watcher kills every process carrying the token.</item>
/// </list>
/// A runner that died without its watcher (the machine's OOM killer taking both) is cleaned up by the next runner on
/// the same host (see <see cref="RunnerRegistry"/>).
/// </summary>
public static class TrialProcesses
{
    /// <summary>The variable that marks a runner's trial processes.</summary>
    public const string RunnerVariable = "EXPT_RUNNER";

    /// <summary>How long what a trial left running may go on after its main process exited, before it is ended.</summary>
    public static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(1);

    private static readonly Lock Gate = new();
    private static Process? _watcher;

    // The watcher: wait for EOF on stdin (this runner gone), then kill, repeatedly, every process marked with the token.
    private const string WatcherScript = """
        trap '' INT HUP TERM QUIT
        cat >/dev/null 2>&1
        for round in 1 2 3 4 5 6 7 8 9 10; do
          pids=$(grep -lzsxF "EXPT_RUNNER=$1" /proc/[0-9]*/environ 2>/dev/null | sed -e 's#^/proc/##' -e 's#/environ$##')
          [ -z "$pids" ] && exit 0
          kill -STOP $pids 2>/dev/null
          kill -KILL $pids 2>/dev/null
          sleep 0.1
        done
        """;

    /// <summary>This runner's token: host, process id and a random part, so no other runner ever shares it.</summary>
    public static string RunnerToken { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Trials.TrialIdentity.NewId()}";

    /// <summary>The util-linux <c>setsid</c> program, or null where there is none (then trials share Expt's group).</summary>
    public static string? Setsid { get; } = OperatingSystem.IsLinux() ? FindProgram("setsid") : null;

    /// <summary>True when trials run in process groups of their own.</summary>
    public static bool Grouped => OperatingSystem.IsLinux() && TrialProcess.CanGroup;

    /// <summary>Marks a process to be started as one of this runner's (the token), and makes sure the watcher runs.</summary>
    public static ProcessStartInfo Mark(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (OperatingSystem.IsLinux())
        {
            info.Environment[RunnerVariable] = RunnerToken;
            EnsureWatcher();
        }
        return info;
    }

    /// <summary>
    /// Prepares a process started through <see cref="Process"/>: marked with the runner token and made the leader of a
    /// new session through util-linux <c>setsid</c> (unless <paramref name="keepChildren"/>: then left alone).
    /// </summary>
    public static ProcessStartInfo Prepare(ProcessStartInfo info, bool keepChildren) =>
        keepChildren || !OperatingSystem.IsLinux() ? info : WrapInSetsid(Mark(info));

    /// <summary>The same start, through util-linux <c>setsid</c> (a new session and process group), when it exists.</summary>
    public static ProcessStartInfo WrapInSetsid(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Setsid is null)
        {
            return info;
        }
        var wrapped = new ProcessStartInfo(Setsid)
        {
            WorkingDirectory = info.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = info.RedirectStandardInput,
            RedirectStandardOutput = info.RedirectStandardOutput,
            RedirectStandardError = info.RedirectStandardError,
        };
        wrapped.ArgumentList.Add("--");
        wrapped.ArgumentList.Add(info.FileName);
        foreach (var arg in info.ArgumentList)
        {
            wrapped.ArgumentList.Add(arg);
        }
        wrapped.Environment.Clear();
        foreach (var (key, value) in info.Environment)
        {
            wrapped.Environment[key] = value;
        }
        return wrapped;
    }

    /// <summary>Starts the watcher of this runner's trials, once per process.</summary>
    public static void EnsureWatcher()
    {
        lock (Gate)
        {
            if (_watcher is not null || !OperatingSystem.IsLinux() || FindProgram("sh") is not { } sh)
            {
                return;
            }
            var info = new ProcessStartInfo(Setsid ?? sh)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (Setsid is not null)
            {
                info.ArgumentList.Add("--");
                info.ArgumentList.Add(sh);
            }
            foreach (var arg in new[] { "-c", WatcherScript, "expt-watcher", RunnerToken })
            {
                info.ArgumentList.Add(arg);
            }
            // The watcher must not carry the token it hunts for.
            info.Environment.Remove(RunnerVariable);
            try
            {
                _watcher = Process.Start(info);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No shell: the next runner on this host cleans up instead.
            }
        }
    }

    /// <summary>Ends the processes marked with <paramref name="token"/> (a dead runner's, found again by the next one).</summary>
    public static int KillMarked(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var total = 0;
        for (var round = 0; round < 5; round++)
        {
            var pids = ProcessTree.WithEnvironment([$"{RunnerVariable}={token}"]);
            if (pids.Count == 0)
            {
                break;
            }
            ProcessTree.KillAll(pids);
            total += pids.Count;
            Thread.Sleep(50);
        }
        return total;
    }

    /// <summary>A program on PATH (or the path itself when it has a slash), or null.</summary>
    public static string? FindProgram(string name, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(name, workingDirectory ?? Directory.GetCurrentDirectory());
            return File.Exists(full) ? full : null;
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
