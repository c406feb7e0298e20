using System.Diagnostics;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Isolation;

/// <summary>
/// Runs C# trials in worker processes: this program started again in trial-host mode, one process per slot, reused
/// from trial to trial. A crash (even a stack overflow) fails only its trial; a hung trial is killed at its timeout;
/// the slot's process is started again for the next trial.
/// </summary>
public sealed class IsolatedExecutor : ITrialExecutor, IAsyncDisposable
{
    private readonly IReadOnlyList<string> _selfCommand;
    private readonly string _experiment;
    private readonly TimeSpan? _timeout;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, HostProcess> _hosts = [];
    private readonly Lock _lock = new();

    public IsolatedExecutor(IReadOnlyList<string> selfCommand, string experiment, TimeSpan? timeout, TimeProvider time)
    {
        if (selfCommand.Count == 0)
        {
            throw new ArgumentException("isolation needs to know how to start this program again", nameof(selfCommand));
        }
        _selfCommand = selfCommand;
        _experiment = experiment;
        _timeout = timeout;
        _time = time;
    }

    private sealed class HostProcess : IDisposable
    {
        private readonly Queue<string> _stderrTail = new();
        private readonly Lock _lock = new();
        private StreamWriter? _trialStderr;

        public HostProcess(Process process)
        {
            Process = process;
            Pump = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    lock (_lock)
                    {
                        _stderrTail.Enqueue(line);
                        if (_stderrTail.Count > 30)
                        {
                            _stderrTail.Dequeue();
                        }
                        _trialStderr?.WriteLine(line);
                    }
                }
            });
        }

        public Process Process { get; }

        public Task Pump { get; }

        public void Attach(StreamWriter? writer)
        {
            lock (_lock)
            {
                _trialStderr?.Flush();
                _trialStderr = writer;
                _stderrTail.Clear();
            }
        }

        public string Tail()
        {
            lock (_lock)
            {
                return string.Join('\n', _stderrTail);
            }
        }

        // One way to end a process tree, Core's: the tree is frozen first, so nothing forks away while it is killed.
        public void Kill() => ProcessTrees.Kill(Process);

        public void Dispose() => Process.Dispose();
    }

    private HostProcess Start()
    {
        var info = new ProcessStartInfo(_selfCommand[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in _selfCommand.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        info.ArgumentList.Add(TrialHostProtocol.CommandName);
        info.ArgumentList.Add(_experiment);
        info.Environment["TERM"] = "dumb";
        // Tied to this runner like any trial: if it dies, its worker processes end too.
        var process = Process.Start(TrialProcesses.Prepare(info, keepChildren: false)) ?? throw new InvalidOperationException("could not start a worker process");
        return new HostProcess(process);
    }

    public async Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
    {
        HostProcess? host;
        bool fresh;
        lock (_lock)
        {
            fresh = !_hosts.TryGetValue(context.Slot, out host) || host.Process.HasExited;
            if (fresh)
            {
                host = _hosts[context.Slot] = Start();
            }
        }
        if (fresh)
        {
            using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            using var linkedStartup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, startup.Token);
            string? ready;
            try
            {
                ready = await host!.Process.StandardOutput.ReadLineAsync(linkedStartup.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ready = null;
            }
            if (ready != TrialHostProtocol.Ready)
            {
                Discard(context.Slot, host!);
                return new TrialOutcome(cancellationToken.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Failed, TimeSpan.Zero,
                    Error: $"the worker process did not start{(host!.Tail() is { Length: > 0 } tail ? ":\n" + tail : string.Empty)}");
            }
        }
        var startedAt = _time.GetTimestamp();
        Directory.CreateDirectory(context.TrialDirectory);
        var live = host!;
        var stderr = new StreamWriter(Path.Combine(context.TrialDirectory, CommandExecutor.StderrFile)) { AutoFlush = true };
        await using var _ = stderr.ConfigureAwait(false);
        live.Attach(stderr);
        try
        {
            await live.Process.StandardInput.WriteLineAsync(TrialHostProtocol.Request(context).AsMemory(), cancellationToken).ConfigureAwait(false);
            await live.Process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            using var timeout = _timeout is { } t ? new CancellationTokenSource(t, _time) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            string? line;
            try
            {
                line = await live.Process.StandardOutput.ReadLineAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The only way to stop code that ignores its token: kill the process. The slot gets a new one.
                Discard(context.Slot, live);
                var status = cancellationToken.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Timeout;
                return new TrialOutcome(status, _time.GetElapsedTime(startedAt),
                    Error: status == TrialStatus.Timeout ? $"timed out after {DurationParser.Format(_timeout!.Value)}; the worker process was killed" : "cancelled; the worker process was killed");
            }
            if (line is null)
            {
                await live.Process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                await Task.WhenAny(live.Pump, Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
                Discard(context.Slot, live);
                return new TrialOutcome(TrialStatus.Failed, _time.GetElapsedTime(startedAt),
                    Error: $"the worker process died (exit code {live.Process.ExitCode}){(live.Tail() is { Length: > 0 } tail ? "\n" + tail : string.Empty)}");
            }
            return TrialHostProtocol.ParseResponse(line);
        }
        catch (IOException ex)
        {
            Discard(context.Slot, live);
            return new TrialOutcome(TrialStatus.Failed, _time.GetElapsedTime(startedAt), Error: $"lost the worker process: {ex.Message}\n{live.Tail()}");
        }
        finally
        {
            live.Attach(null);
        }
    }

    private void Discard(int slot, HostProcess host)
    {
        host.Kill();
        lock (_lock)
        {
            if (_hosts.TryGetValue(slot, out var current) && current == host)
            {
                _hosts.Remove(slot);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<HostProcess> hosts;
        lock (_lock)
        {
            hosts = [.. _hosts.Values];
            _hosts.Clear();
        }
        foreach (var host in hosts)
        {
            try
            {
                host.Process.StandardInput.Close(); // end of input: the host exits by itself
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await host.Process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                host.Kill();
            }
            host.Dispose();
        }
    }
}
