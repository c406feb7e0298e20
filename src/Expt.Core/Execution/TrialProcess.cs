using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Expt.Execution;

/// <summary>
/// A command trial's main process: its output streams, its exit, and how to kill it. On Linux it is started with
/// glibc's <c>posix_spawn</c> as the leader of a new session (<c>POSIX_SPAWN_SETSID</c>): one clone and one exec, as
/// cheap as an ordinary start. Where that is not available, through <see cref="Process"/> (wrapped in util-linux
/// <c>setsid</c> when grouped).
/// </summary>
internal abstract class TrialProcess : IDisposable
{
    /// <summary>The process id (also its process group id when grouped).</summary>
    public abstract int Id { get; }

    public abstract Stream StandardOutput { get; }

    public abstract Stream StandardError { get; }

    /// <summary>Completes with the exit code (128 + the signal for a killed process) once the process is reaped.</summary>
    public abstract Task<int> Exited { get; }

    /// <summary>Kills the process, its group when grouped, and any descendant that left the group.</summary>
    public abstract void KillTree(bool group);

    public abstract void Dispose();

    /// <summary>
    /// The CPU time and peak resident memory of the main process and every child it waited for, once it has exited
    /// (from <c>wait4</c>); null where that is not known.
    /// </summary>
    public virtual ProcessUsage? Usage => null;

    /// <summary>True when trials can run in process groups of their own here (posix_spawn, or util-linux setsid).</summary>
    public static bool CanGroup => Spawned.Supported || TrialProcesses.Setsid is not null;

    /// <summary>Starts <paramref name="info"/> (program, arguments, environment, directory; stdin is /dev/null).</summary>
    /// <exception cref="Win32Exception">The program could not be started.</exception>
    public static TrialProcess Start(ProcessStartInfo info, bool grouped)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (grouped && Spawned.Supported)
        {
            return Spawned.Start(info);
        }
        return new Managed(info, grouped);
    }

    /// <summary>System.Diagnostics.Process, with util-linux setsid in front when grouped.</summary>
    private sealed class Managed : TrialProcess
    {
        private readonly Process _process;

        public Managed(ProcessStartInfo info, bool grouped)
        {
            _process = new Process { StartInfo = grouped ? TrialProcesses.WrapInSetsid(info) : info };
            _process.Start();
            _process.StandardInput.Close();
            Exited = ExitAsync();
        }

        private async Task<int> ExitAsync()
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return _process.ExitCode;
        }

        public override int Id => _process.Id;

        public override Stream StandardOutput => _process.StandardOutput.BaseStream;

        public override Stream StandardError => _process.StandardError.BaseStream;

        public override Task<int> Exited { get; }

        public override void KillTree(bool group) => ProcessTree.Kill(_process, group);

        public override void Dispose() => _process.Dispose();
    }

    /// <summary>posix_spawn with POSIX_SPAWN_SETSID, pipes for stdout and stderr, and a thread that waits for the exit.</summary>
    private sealed class Spawned : TrialProcess
    {
        private const int ORdOnly = 0, OCloExec = 0x80000, EIntr = 4;
        private const short SetSigDefault = 0x04, SetSigMask = 0x08, SetSid = 0x80;

        // Opaque glibc structures, given more room than they take (80, 336 and 128 bytes on 64-bit Linux).
        private const int OpaqueSize = 1024;

        private static readonly Lazy<bool> Available = new(Probe);

        private readonly int _pid;
        private readonly AnonymousPipeClientStream _stdout;
        private readonly AnonymousPipeClientStream _stderr;
        private volatile ProcessUsage? _usage;

        private Spawned(int pid, AnonymousPipeClientStream stdout, AnonymousPipeClientStream stderr)
        {
            _pid = pid;
            _stdout = stdout;
            _stderr = stderr;
            var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            // waitpid on a thread of its own: the runtime reaps only the children it started itself.
            new Thread(() =>
            {
                var code = Wait(pid, out var usage);
                _usage = usage;
                exited.SetResult(code);
            })
            { IsBackground = true, Name = $"expt wait {pid}" }.Start();
            Exited = exited.Task;
        }

        public static bool Supported => Available.Value;

        public override int Id => _pid;

        public override Stream StandardOutput => _stdout;

        public override Stream StandardError => _stderr;

        public override Task<int> Exited { get; }

        public override ProcessUsage? Usage => _usage;

        public override void KillTree(bool group) => ProcessTree.Kill(_pid, group);

        public override void Dispose()
        {
            _stdout.Dispose();
            _stderr.Dispose();
        }

        private static bool Probe()
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }
            try
            {
                var actions = Marshal.AllocHGlobal(OpaqueSize);
                try
                {
                    posix_spawn_file_actions_init(actions);
                    var path = Marshal.StringToCoTaskMemUTF8("/");
                    try
                    {
                        // The newest function used (glibc 2.29): when it is there, all are.
                        posix_spawn_file_actions_addchdir_np(actions, path);
                    }
                    finally
                    {
                        Marshal.FreeCoTaskMem(path);
                    }
                    posix_spawn_file_actions_destroy(actions);
                    return true;
                }
                finally
                {
                    Marshal.FreeHGlobal(actions);
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                return false;
            }
        }

        public static Spawned Start(ProcessStartInfo info)
        {
            var stdout = new int[2];
            var stderr = new int[2];
            if (pipe2(stdout, OCloExec) != 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }
            if (pipe2(stderr, OCloExec) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                close(stdout[0]);
                close(stdout[1]);
                throw new Win32Exception(error);
            }
            var allocations = new List<IntPtr>();
            IntPtr Utf8(string text)
            {
                var p = Marshal.StringToCoTaskMemUTF8(text);
                allocations.Add(p);
                return p;
            }
            IntPtr Array(IEnumerable<string> items)
            {
                var list = items.ToList();
                var block = Marshal.AllocHGlobal(IntPtr.Size * (list.Count + 1));
                for (var i = 0; i < list.Count; i++)
                {
                    Marshal.WriteIntPtr(block, i * IntPtr.Size, Utf8(list[i]));
                }
                Marshal.WriteIntPtr(block, list.Count * IntPtr.Size, IntPtr.Zero);
                return block;
            }
            var actions = Marshal.AllocHGlobal(OpaqueSize);
            var attributes = Marshal.AllocHGlobal(OpaqueSize);
            var all = Marshal.AllocHGlobal(OpaqueSize);
            var none = Marshal.AllocHGlobal(OpaqueSize);
            var argv = Array([info.FileName, .. info.ArgumentList]);
            var envp = Array(info.Environment.Where(e => e.Value is not null).Select(e => $"{e.Key}={e.Value}"));
            int pid;
            int result;
            try
            {
                posix_spawn_file_actions_init(actions);
                posix_spawn_file_actions_addopen(actions, 0, Utf8("/dev/null"), ORdOnly, 0);
                posix_spawn_file_actions_adddup2(actions, stdout[1], 1);
                posix_spawn_file_actions_adddup2(actions, stderr[1], 2);
                if (!string.IsNullOrEmpty(info.WorkingDirectory))
                {
                    posix_spawn_file_actions_addchdir_np(actions, Utf8(info.WorkingDirectory));
                }
                posix_spawnattr_init(attributes);
                // Every signal at its default (the runtime ignores SIGPIPE; a trial must not inherit that), none blocked.
                sigfillset(all);
                sigemptyset(none);
                posix_spawnattr_setsigdefault(attributes, all);
                posix_spawnattr_setsigmask(attributes, none);
                posix_spawnattr_setflags(attributes, (short)(SetSigDefault | SetSigMask | SetSid));
                // posix_spawn does not search PATH: the program is found as a shell would find it (argv[0] stays as written).
                var program = TrialProcesses.FindProgram(info.FileName, info.WorkingDirectory) ?? info.FileName;
                result = posix_spawn(out pid, Utf8(program), actions, attributes, argv, envp);
            }
            finally
            {
                posix_spawn_file_actions_destroy(actions);
                posix_spawnattr_destroy(attributes);
                Marshal.FreeHGlobal(actions);
                Marshal.FreeHGlobal(attributes);
                Marshal.FreeHGlobal(all);
                Marshal.FreeHGlobal(none);
                Marshal.FreeHGlobal(argv);
                Marshal.FreeHGlobal(envp);
                foreach (var p in allocations)
                {
                    Marshal.FreeCoTaskMem(p);
                }
                // The child has its own copies of the write ends (or never started): ours go, so EOF comes when it exits.
                close(stdout[1]);
                close(stderr[1]);
            }
            if (result != 0)
            {
                close(stdout[0]);
                close(stderr[0]);
                throw new Win32Exception(result);
            }
            return new Spawned(pid, Reader(stdout[0]), Reader(stderr[0]));
        }

        private static AnonymousPipeClientStream Reader(int fd) => new(PipeDirection.In, new SafePipeHandle(fd, ownsHandle: true));

        private static int Wait(int pid, out ProcessUsage? usage)
        {
            usage = null;
            // struct rusage on 64-bit Linux: two timevals (seconds, microseconds) then ru_maxrss in KiB; 144 bytes.
            var rusage = new long[18];
            while (true)
            {
                var reaped = wait4(pid, out var status, 0, rusage);
                if (reaped == pid)
                {
                    usage = new ProcessUsage(rusage[0] + (rusage[1] / 1e6), rusage[2] + (rusage[3] / 1e6), rusage[4] * 1024);
                    var signal = status & 0x7f;
                    return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
                }
                if (reaped == -1 && Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }
                // Reaped by someone else (a parent that ignores SIGCHLD makes the runtime reap every child): the exit
                // status is lost; say failed rather than guess success.
                return 255;
            }
        }

#pragma warning disable SYSLIB1054, CA5392, CA1401, SA1300, IDE1006 // plain libc calls taking ints and pointers: nothing to generate
        [DllImport("libc", SetLastError = true)]
        private static extern int pipe2(int[] fds, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int wait4(int pid, out int status, int options, [Out] long[] rusage);

        [DllImport("libc")]
        private static extern int posix_spawn(out int pid, IntPtr path, IntPtr fileActions, IntPtr attributes, IntPtr argv, IntPtr envp);

        [DllImport("libc")]
        private static extern int posix_spawn_file_actions_init(IntPtr actions);

        [DllImport("libc")]
        private static extern int posix_spawn_file_actions_destroy(IntPtr actions);

        [DllImport("libc")]
        private static extern int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);

        [DllImport("libc")]
        private static extern int posix_spawn_file_actions_addopen(IntPtr actions, int fd, IntPtr path, int flags, int mode);

        [DllImport("libc")]
        private static extern int posix_spawn_file_actions_addchdir_np(IntPtr actions, IntPtr path);

        [DllImport("libc")]
        private static extern int posix_spawnattr_init(IntPtr attributes);

        [DllImport("libc")]
        private static extern int posix_spawnattr_destroy(IntPtr attributes);

        [DllImport("libc")]
        private static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);

        [DllImport("libc")]
        private static extern int posix_spawnattr_setsigdefault(IntPtr attributes, IntPtr signals);

        [DllImport("libc")]
        private static extern int posix_spawnattr_setsigmask(IntPtr attributes, IntPtr signals);

        [DllImport("libc")]
        private static extern int sigfillset(IntPtr set);

        [DllImport("libc")]
        private static extern int sigemptyset(IntPtr set);
#pragma warning restore SYSLIB1054, CA5392, CA1401, SA1300, IDE1006
    }
}
