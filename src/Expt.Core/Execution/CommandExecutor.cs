using System.ComponentModel;
using System.Diagnostics;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Runs a trial as a subprocess (no shell unless asked), in the study's directory, with the trial's parameters as
/// placeholders and <c>EXPT_*</c> environment variables. stdout and stderr go to files in the trial directory.
/// Exit code 0 is success; results come from <c>EXPT_RESULTS</c>, step metrics from <c>EXPT_METRICS</c>.
/// A timeout or an interruption kills the whole process tree.
/// </summary>
public sealed class CommandExecutor : ITrialExecutor
{
    /// <summary>The figures a trial's energy and CO2 are estimated with (this machine's, from its environment, unless set).</summary>
    public Resources.EnergySettings Energy { get; init; } = Resources.EnergySettings.Machine;

    private readonly CommandTemplate _command;
    private readonly string _workDir;
    private readonly IReadOnlyDictionary<string, string> _env;
    private readonly TimeSpan? _timeout;
    private readonly TimeProvider _time;
    private readonly Action<TrialContext, string, bool>? _echo;
    private readonly TrialLimits _limits;
    private readonly bool _keepChildren;

    /// <summary>Creates an executor.</summary>
    /// <param name="command">The command template.</param>
    /// <param name="workDir">Where trials run.</param>
    /// <param name="env">Extra environment variables.</param>
    /// <param name="timeout">Per-trial limit.</param>
    /// <param name="time">The clock.</param>
    /// <param name="echo">Receives each output line (line, isStderr) while the trial runs, for <c>-v</c>.</param>
    /// <param name="limits">Bounds on what a trial may hand back.</param>
    /// <param name="keepChildren">Leave alone what a trial starts and leaves running when its main process exits.</param>
    public CommandExecutor(CommandTemplate command, string workDir, IReadOnlyDictionary<string, string>? env, TimeSpan? timeout, TimeProvider? time = null, Action<TrialContext, string, bool>? echo = null, TrialLimits? limits = null, bool keepChildren = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(workDir);
        _command = command;
        _workDir = workDir;
        _env = env ?? new Dictionary<string, string>();
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
        _echo = echo;
        _limits = limits ?? new TrialLimits();
        _keepChildren = keepChildren;
    }

    /// <summary>The variable an env value refers to (<c>${NAME}</c>), or null for a literal value.</summary>
    public static string? EnvironmentReference(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length < 4 || !value.StartsWith("${", StringComparison.Ordinal) || value[^1] != '}')
        {
            return null;
        }
        var name = value[2..^1];
        return name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? name : null;
    }

    /// <summary>The file names inside a trial directory.</summary>
    public const string StdoutFile = "stdout.log", StderrFile = "stderr.log", ResultsFile = "results.json", MetricsFileName = "metrics.jsonl";

    /// <inheritdoc />
    public async Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        TrialEnvironment.Prepare(context);
        var dir = context.TrialDirectory;
        var lease = context.Lease;
        var paramsJson = context.Params.ToNestedJson();
        var values = new CommandTemplate.TrialValues(lease.Seed, lease.TrialId, lease.Replicate, dir, lease.StudyName, paramsJson);
        var argv = _command.Render(placeholder => CommandTemplate.Resolve(placeholder) switch
        {
            (BuiltIn: { } builtIn, _) => CommandTemplate.BuiltInValue(builtIn, values),
            (_, Parameter: { } name) => context.Params.Placeholder(name),
            _ => null,
        });

        var info = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = _workDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in argv.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        if (TrialEnvironment.Fill(info.Environment, context, _env, paramsJson) is { } missing)
        {
            return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: missing);
        }

        var startedAt = _time.GetTimestamp();
        if (TrialProcesses.FindProgram(argv[0], _workDir) is null)
        {
            return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: $"cannot start '{argv[0]}': no such program{(argv[0].Contains('/', StringComparison.Ordinal) ? string.Empty : " on PATH")}");
        }
        var grouped = TrialProcesses.Grouped && !_keepChildren;
        // The trial's own processes, measured and ended as one: in control groups of its own where they can be made.
        using var meter = grouped ? TrialMeter.Create(lease.TrialId, context.Grant.Needs.MemoryLimitBytes) : null;
        TrialProcess process;
        try
        {
            var start = _keepChildren ? info : TrialProcesses.Mark(info);
            using (meter?.Enter())
            {
                process = TrialProcess.Start(start, grouped);
            }
        }
        catch (Win32Exception ex)
        {
            return new TrialOutcome(TrialStatus.Failed, _time.GetElapsedTime(startedAt), Error: $"cannot start '{argv[0]}': {ex.Message}");
        }
        using var owned = process;
        meter?.Started(process.Id);
        using var gpus = GpuUsageSampler.Start(context.Grant.GpuNames);
        var rapl = Resources.RaplCounter.Read(Energy.PowercapRoot);
        var output = TrialOutput.Start(process.StandardOutput, process.StandardError, context, _echo);

        void KillAll()
        {
            process.KillTree(grouped);
            meter?.KillAll();
        }

        var (status, outOfMemory) = await WaitAsync(process.Exited, meter, context, KillAll, _timeout, _time, cancellationToken).ConfigureAwait(false);
        var leftovers = grouped ? await EndLeftoversAsync(process.Id, meter, output.Pumps, _time).ConfigureAwait(false) : null;
        // Something outside the group (its own session) may still hold the pipes: do not wait for its EOF.
        await output.EndAsync(TrialProcesses.LeftoverGrace, _time).ConfigureAwait(false);
        var duration = _time.GetElapsedTime(startedAt);
        var exitCode = await process.Exited.ConfigureAwait(false);
        gpus?.Dispose();
        var usage = Usage(context.Grant, duration, process.Usage, meter) with { PeakGpuMemoryBytes = gpus?.PeakBytes, GpuUtilization = gpus?.Utilization, GpuPowerWatts = gpus?.PowerWatts };
        usage = Resources.EnergyEstimate.Apply(usage, rapl, rapl is null ? null : Resources.RaplCounter.Read(Energy.PowercapRoot), gpus?.PowerWatts, Energy);
        return Finish(status, outOfMemory, exitCode, duration, context, meter, usage, _timeout, _limits, _time, leftovers, failure: null);
    }

    /// <summary>
    /// Waits for the trial's main process to exit, ending its processes on a timeout, a cancel, or (sampled) its memory
    /// limit. Returns how it ended: completed (it exited by itself), timeout or cancelled; and whether memory ended it.
    /// </summary>
    internal static async Task<(TrialStatus Status, bool OutOfMemory)> WaitAsync(Task<int> exited, TrialMeter? meter, TrialContext context, Action killAll, TimeSpan? limit, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = TrialStatus.Completed;
        var outOfMemory = false;
        using (var timeout = limit is { } t ? new CancellationTokenSource(t, time) : new CancellationTokenSource())
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                if (meter is not null && context.Grant.Needs.MemoryLimitBytes is not null)
                {
                    await Task.WhenAny(exited, meter.Exceeded).WaitAsync(linked.Token).ConfigureAwait(false);
                    if (!exited.IsCompleted)
                    {
                        // Past memory_limit (sampled): ended before it takes the machine's memory from the other trials.
                        outOfMemory = true;
                        killAll();
                        await exited.ConfigureAwait(false);
                    }
                }
                else
                {
                    await exited.WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                status = cancellationToken.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Timeout;
                killAll();
                await exited.ConfigureAwait(false);
            }
        }
        // The kernel ended a process of the trial at its group's memory limit.
        return (status, outOfMemory || meter?.OutOfMemory == true);
    }

    /// <summary>
    /// The outcome of an ended trial process, the same for a command and a Python function: timed out, out of memory,
    /// cancelled, failed (a non-zero exit: <paramref name="failure"/>, else the code and the end of its stderr), or
    /// completed with its results; always with the metrics, tags and note it handed back.
    /// </summary>
    internal static TrialOutcome Finish(TrialStatus status, bool outOfMemory, int exitCode, TimeSpan duration, TrialContext context, TrialMeter? meter,
        Resources.TrialUsage usage, TimeSpan? timeout, TrialLimits limits, TimeProvider time, string? leftovers, string? failure)
    {
        var dir = context.TrialDirectory;
        TrialOutcome Labelled(TrialOutcome outcome) => TrialHandback.Label(outcome, dir, time.GetUtcNow(), usage, leftovers);
        if (status == TrialStatus.Timeout)
        {
            return Labelled(new TrialOutcome(status, duration, Error: Join($"timed out after {DurationParser.Format(timeout!.Value)}; the process tree was killed", Tail(dir)), ExitCode: exitCode));
        }
        if (outOfMemory)
        {
            var limit = Resources.Sizes.Format(context.Grant.Needs.MemoryLimitBytes ?? 0);
            var what = meter!.Method.StartsWith("cgroup", StringComparison.Ordinal)
                ? $"the trial's processes reached its memory_limit of {limit}, the limit of its control group, and the kernel ended one ({meter.Method})"
                : $"the trial's processes held {Resources.Sizes.Format(meter.PeakBytes)}, more than its memory_limit of {limit} ({meter.Method})";
            return Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: Join($"out of memory: {what}; its processes were ended", Tail(dir)), ExitCode: exitCode));
        }
        if (status == TrialStatus.Cancelled)
        {
            return Labelled(new TrialOutcome(status, duration, Error: "cancelled; the process tree was killed", ExitCode: exitCode));
        }
        if (exitCode != 0)
        {
            return Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: failure ?? Join(ExitDescription(exitCode), Tail(dir)), ExitCode: exitCode));
        }
        var (results, error) = TrialHandback.Results(dir, limits);
        return error is not null
            ? Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: error, ExitCode: exitCode))
            : Labelled(new TrialOutcome(TrialStatus.Completed, duration, results, ExitCode: exitCode));
    }

    /// <summary>How a process ended: an exit code, or the signal that ended it (a negative code, as Python gives it).</summary>
    internal static string ExitDescription(int exitCode) => exitCode switch
    {
        -11 => "killed by signal 11 (SIGSEGV: the interpreter crashed)",
        -9 => "killed by signal 9 (SIGKILL)",
        -6 => "killed by signal 6 (SIGABRT)",
        < 0 => $"killed by signal {-exitCode}",
        _ => $"exit code {exitCode}",
    };

    // Memory from the meter only: wait4's ru_maxrss counts the runner's own image (the child is charged it at exec).
    internal static Resources.TrialUsage Usage(Resources.ResourceGrant grant, TimeSpan wall, ProcessUsage? measured, TrialMeter? meter) => new()
    {
        Cpus = grant.Needs.Cpus,
        Gpus = grant.GpuNames,
        GpuMilli = grant.Needs.GpuMilli,
        WallSeconds = wall.TotalSeconds,
        CpuUserSeconds = meter?.Cpu?.User ?? measured?.UserSeconds,
        CpuSystemSeconds = meter?.Cpu?.System ?? measured?.SystemSeconds,
        PeakMemoryBytes = meter?.PeakBytes is > 0 and var peak ? peak : null,
        MemoryMethod = meter?.PeakBytes is > 0 ? meter.Method : null,
    };

    private static string? Join(string first, string? second) => string.IsNullOrEmpty(second) ? first : first + "\n" + second;

    /// <summary>
    /// The main process has exited: what it left running (in its process group, or anywhere among its own processes: a
    /// daemon that started a session of its own, a double fork) gets <see cref="TrialProcesses.LeftoverGrace"/> to end by
    /// itself, then is ended, as a batch system ends a job step's processes. Returns a warning when something had to be.
    /// </summary>
    internal static async Task<string?> EndLeftoversAsync(int group, TrialMeter? meter, Task pumps, TimeProvider time)
    {
        bool Left() => ProcessTree.GroupAlive(group) || meter?.Alive().Count > 0;
        if (!Left())
        {
            return null;
        }
        var deadline = time.GetTimestamp();
        while (Left() && time.GetElapsedTime(deadline) < TrialProcesses.LeftoverGrace)
        {
            await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromMilliseconds(20), time, CancellationToken.None)).ConfigureAwait(false);
        }
        if (!Left())
        {
            return null;
        }
        ProcessTree.KillGroup(group);
        meter?.KillAll();
        return $"the trial's main process exited but left processes running; they were ended after {DurationParser.Format(TrialProcesses.LeftoverGrace)} (keep_children: true in the study keeps them)";
    }

    /// <summary>The last lines of a trial's stderr (at most 20 lines, 4,000 characters).</summary>
    public static string? Tail(string trialDirectory, string file = StderrFile, int lines = 20)
    {
        var text = TrialFiles.ReadEnd(Path.Combine(trialDirectory, file), 4000, out _);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var all = text.Split('\n');
        var tail = string.Join('\n', all.Skip(Math.Max(0, all.Length - lines - 1))).TrimEnd();
        return tail.Length == 0 ? null : tail;
    }
}
