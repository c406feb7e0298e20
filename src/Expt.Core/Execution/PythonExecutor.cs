using System.Collections.Concurrent;
using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Runs trials that call a Python function (<c>python: train:main</c>) in warm interpreters: one <see cref="PythonHost"/>
/// per slot imports the module once, then each trial runs in a child forked from it (<see cref="PythonMode.Fork"/>) or
/// in the host itself (<see cref="PythonMode.Inline"/>). The rules of command trials all hold: the trial's
/// <c>EXPT_*</c> environment, its stdout and stderr in its directory, results, metrics, tags and notes handed back the
/// same way, timeouts, cancels and <c>memory_limit</c> reaching the forked child (its own session and control groups),
/// its usage measured. A crashed child fails its trial alone; a crashed or killed host is replaced by a fresh one. A
/// module changed on disk is never run stale: its host exits and a fresh one imports the new code.
/// </summary>
public sealed class PythonExecutor : ITrialExecutor, IDisposable
{
    private const int MaxErrorBytes = 16 * 1024;

    /// <summary>The figures a trial's energy and CO2 are estimated with (this machine's, from its environment, unless set).</summary>
    public Resources.EnergySettings Energy { get; init; } = Resources.EnergySettings.Machine;

    private readonly PythonTarget _target;
    private readonly string _workDir;
    private readonly IReadOnlyDictionary<string, string> _env;
    private readonly TimeSpan? _timeout;
    private readonly TimeProvider _time;
    private readonly Action<TrialContext, string, bool>? _echo;
    private readonly TrialLimits _limits;
    private readonly ConcurrentBag<PythonHost> _idle = [];

    /// <summary>Creates an executor; hosts start with the first trials.</summary>
    /// <param name="target">The function, mode, preloads and interpreter.</param>
    /// <param name="workDir">Where trials run (and where a module is found).</param>
    /// <param name="env">The study's extra environment variables.</param>
    /// <param name="timeout">Per-trial limit.</param>
    /// <param name="time">The clock.</param>
    /// <param name="echo">Receives each output line while the trial runs, for <c>-v</c>.</param>
    /// <param name="limits">Bounds on what a trial may hand back.</param>
    public PythonExecutor(PythonTarget target, string workDir, IReadOnlyDictionary<string, string>? env, TimeSpan? timeout, TimeProvider? time = null, Action<TrialContext, string, bool>? echo = null, TrialLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(workDir);
        if (target.Mode == PythonMode.Fresh)
        {
            throw new ArgumentException("a fresh interpreter per trial is a command trial (PythonExecutor.FreshCommand)", nameof(target));
        }
        _target = target;
        _workDir = workDir;
        _env = env ?? new Dictionary<string, string>();
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
        _echo = echo;
        _limits = limits ?? new TrialLimits();
    }

    /// <summary>The command that runs one trial of the function in a fresh interpreter (<see cref="PythonMode.Fresh"/>).</summary>
    public static CommandTemplate FreshCommand(PythonTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        static string Word(string arg)
        {
            var literal = arg.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
            return CommandTemplate.IsPlainWord(arg) ? literal : !arg.Contains('"', StringComparison.Ordinal) ? $"\"{literal}\"" : $"'{literal}'";
        }
        return new CommandTemplate(string.Join(' ', new[] { target.Interpreter, "-m", "expt._runner", target.Function }.Select(Word)), shell: false);
    }

    /// <summary>The SHA-256 of the module's source as the last host imported it, or null before any did.</summary>
    public string? SourceHash { get; private set; }

    /// <inheritdoc />
    public async Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        TrialEnvironment.Prepare(context);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (TrialEnvironment.Fill(env, context, _env, context.Params.ToNestedJson()) is { } missing)
        {
            return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: missing);
        }
        // The host has these already, with whatever PYTHONPATH it was started with.
        env.Remove("PYTHONPATH");
        env.Remove("PYTHONUNBUFFERED");

        var pipes = Directory.CreateTempSubdirectory("expt-py-");
        try
        {
            return await RunAsync(context, env, pipes.FullName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                pipes.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Left for the system's temporary-file cleaning.
            }
        }
    }

    private async Task<TrialOutcome> RunAsync(TrialContext context, Dictionary<string, string?> env, string pipes, CancellationToken cancellationToken)
    {
        var lease = context.Lease;
        var fork = _target.Mode == PythonMode.Fork;
        var grouped = fork && TrialProcesses.Grouped;
        using var meter = grouped ? TrialMeter.Create(lease.TrialId, context.Grant.Needs.MemoryLimitBytes) : null;
        var errorFile = Path.Combine(pipes, "error.txt");
        var stdoutPath = Path.Combine(pipes, "stdout");
        var stderrPath = Path.Combine(pipes, "stderr");
        var stdout = Fifo.CreateReader(stdoutPath);
        await using var stdoutOwned = stdout.ConfigureAwait(false);
        var stderr = Fifo.CreateReader(stderrPath);
        await using var stderrOwned = stderr.ConfigureAwait(false);
        var request = new Dictionary<string, object?>
        {
            ["env"] = env,
            ["stdout"] = stdoutPath,
            ["stderr"] = stderrPath,
            ["error"] = errorFile,
            ["cgroups"] = meter?.JoinFiles ?? [],
        };

        // A host whose module changed says "stale" and exits: the request goes to a fresh host, which imports the new code.
        PythonHost? host = null;
        int pid = 0;
        for (var tries = 0; tries < 3 && pid == 0; tries++)
        {
            var (rented, problem) = await RentAsync(cancellationToken).ConfigureAwait(false);
            if (rented is null)
            {
                return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: problem);
            }
            host = rented;
            await host.SendAsync(request, cancellationToken).ConfigureAwait(false);
            using var reply = await host.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reply is not null && reply.RootElement.TryGetProperty("started", out var started) && started.TryGetInt32(out pid))
            {
                break;
            }
            var stale = reply is not null && reply.RootElement.TryGetProperty("stale", out _);
            await host.EndAsync().ConfigureAwait(false);
            host.Dispose();
            if (!stale)
            {
                return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: $"the Python host ended before the trial started: {host.Described()}");
            }
            host = null;
        }
        if (host is null || pid == 0)
        {
            return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: $"{_target.Function}: its module kept changing on disk; no trial was started");
        }

        var startedAt = _time.GetTimestamp();
        meter?.Started(pid);
        using var gpus = GpuUsageSampler.Start(context.Grant.GpuNames);
        var rapl = Resources.RaplCounter.Read(Energy.PowercapRoot);
        var output = TrialOutput.Start(stdout, stderr, context, _echo);
        var exitedReply = ExitedAsync(host);
        var exited = CodeAsync(exitedReply);

        void KillAll()
        {
            if (fork)
            {
                ProcessTree.KillGroup(pid);
                meter?.KillAll();
            }
            else
            {
                // A trial in the host is the host: it goes, and the next trial gets a fresh one.
                host.Kill();
            }
        }

        var (status, outOfMemory) = await CommandExecutor.WaitAsync(exited, meter, context, KillAll, _timeout, _time, cancellationToken).ConfigureAwait(false);
        var leftovers = fork ? await CommandExecutor.EndLeftoversAsync(pid, meter, output.Pumps, _time).ConfigureAwait(false) : null;
        await output.EndAsync(TrialProcesses.LeftoverGrace, _time).ConfigureAwait(false);
        var duration = _time.GetElapsedTime(startedAt);
        var (code, user, system) = await exitedReply.ConfigureAwait(false);
        if (host.Healthy)
        {
            _idle.Add(host);
        }
        else
        {
            await host.EndAsync().ConfigureAwait(false);
            host.Dispose();
        }
        gpus?.Dispose();
        var measured = new ProcessUsage(user, system, 0);
        var usage = CommandExecutor.Usage(context.Grant, duration, measured, meter) with { PeakGpuMemoryBytes = gpus?.PeakBytes, GpuUtilization = gpus?.Utilization, GpuPowerWatts = gpus?.PowerWatts };
        usage = Resources.EnergyEstimate.Apply(usage, rapl, rapl is null ? null : Resources.RaplCounter.Read(Energy.PowercapRoot), gpus?.PowerWatts, Energy);
        string? failure = null;
        if (code == 1 && TrialFiles.ReadText(errorFile, MaxErrorBytes, out _) is { Length: > 0 } error)
        {
            // The function raised: the exception and the user's frames of its traceback, as Python prints them.
            failure = error.TrimEnd();
        }
        else if (code == HostGone)
        {
            failure = $"the Python host ended during the trial: {host.Described()}";
        }
        return CommandExecutor.Finish(status, outOfMemory, code, duration, context, meter, usage, _timeout, _limits, _time, leftovers, failure);
    }

    // The code a trial gets when its host ended without saying how the trial did.
    private const int HostGone = -9;

    private static async Task<(int Code, double User, double System)> ExitedAsync(PythonHost host)
    {
        using var reply = await host.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        if (reply is null || !reply.RootElement.TryGetProperty("exited", out var exited))
        {
            return (HostGone, 0, 0);
        }
        var code = exited.TryGetProperty("code", out var c) && c.TryGetInt32(out var value) ? value : HostGone;
        double Seconds(string name) => exited.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;
        return (code, Seconds("user"), Seconds("system"));
    }

    private static async Task<int> CodeAsync(Task<(int Code, double User, double System)> exited) => (await exited.ConfigureAwait(false)).Code;

    private async Task<(PythonHost? Host, string? Error)> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var idle))
        {
            if (idle.Healthy)
            {
                return (idle, null);
            }
            idle.Dispose();
        }
        var (host, error) = await PythonHost.StartAsync(_target, _workDir, _env, cancellationToken).ConfigureAwait(false);
        if (host is not null)
        {
            SourceHash = host.SourceHash;
        }
        return (host, error);
    }

    /// <summary>Ends the idle hosts.</summary>
    public void Dispose()
    {
        while (_idle.TryTake(out var host))
        {
            host.Dispose();
        }
    }
}
