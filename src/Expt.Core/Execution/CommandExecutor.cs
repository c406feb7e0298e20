using System.ComponentModel;
using System.Diagnostics;
using System.Text;
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
        var dir = context.TrialDirectory;
        var resultsPath = Path.Combine(dir, ResultsFile);
        var metricsPath = Path.Combine(dir, MetricsFileName);
        if (context.Lease.Attempt > 1 && Directory.Exists(dir))
        {
            // A retried attempt starts clean.
            foreach (var file in new[] { resultsPath, metricsPath, Path.Combine(dir, StdoutFile), Path.Combine(dir, StderrFile) })
            {
                File.Delete(file);
            }
        }
        Directory.CreateDirectory(dir);
        var lease = context.Lease;
        var paramsJson = context.Params.ToNestedJson();
        var values = new CommandTemplate.TrialValues(lease.Seed, lease.TrialId, lease.Replicate, dir, lease.StudyName, paramsJson);
        var argv = _command.Render(placeholder => CommandTemplate.Resolve(placeholder) switch
        {
            (BuiltIn: { } builtIn, _) => CommandTemplate.BuiltInValue(builtIn, values),
            (_, Parameter: { } name) => context.Params.TryGetValue(name, out var v) ? ParamValues.Format(v) : null,
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
        foreach (var (key, value) in _env)
        {
            // "${NAME}" passes the variable through from this worker's own environment, at run time: how a secret
            // reaches trials on any machine without ever being stored.
            if (EnvironmentReference(value) is { } name)
            {
                if (Environment.GetEnvironmentVariable(name) is not { } passed)
                {
                    return new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: $"env.{key}: the variable {name} is not set on this worker ({Environment.MachineName}); set it where the worker runs");
                }
                info.Environment[key] = passed;
            }
            else
            {
                info.Environment[key] = value;
            }
        }
        info.Environment["EXPT_TRIAL_ID"] = lease.TrialId;
        info.Environment["EXPT_STUDY"] = lease.StudyName;
        info.Environment["EXPT_PARAMS"] = paramsJson;
        foreach (var (name, value) in context.Params)
        {
            // Each value also on its own: a shell script reads "$EXPT_PARAM_LR" with no quoting to get wrong.
            info.Environment[CommandTemplate.EnvironmentName(name)] = ParamValues.Format(value);
        }
        info.Environment["EXPT_SEED"] = lease.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["EXPT_REPLICATE"] = lease.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["EXPT_ATTEMPT"] = lease.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["EXPT_TRIAL_DIR"] = dir;
        info.Environment["EXPT_RESULTS"] = resultsPath;
        info.Environment["EXPT_METRICS"] = metricsPath;
        info.Environment["EXPT_TAGS"] = Path.Combine(dir, TrialLabels.TagsFile);
        info.Environment["EXPT_NOTE"] = Path.Combine(dir, Trial.NotesFile);
        foreach (var (key, value) in Resources.ResourceEnvironment.For(context.Grant, name => _env.ContainsKey(name) || Environment.GetEnvironmentVariable(name) is not null))
        {
            info.Environment[key] = value;
        }
        if (!info.Environment.ContainsKey("PYTHONUNBUFFERED"))
        {
            info.Environment["PYTHONUNBUFFERED"] = "1";
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
        var stdoutFile = new LazyFile(Path.Combine(dir, StdoutFile), context.Scrubber);
        var stderrFile = new LazyFile(Path.Combine(dir, StderrFile), context.Scrubber);
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput, stdoutFile, context, false),
            PumpAsync(process.StandardError, stderrFile, context, true));

        void KillAll()
        {
            process.KillTree(grouped);
            meter?.KillAll();
        }

        var status = TrialStatus.Completed;
        var outOfMemory = false;
        using (var timeout = _timeout is { } t ? new CancellationTokenSource(t, _time) : new CancellationTokenSource())
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                if (meter is not null && context.Grant.Needs.MemoryLimitBytes is not null)
                {
                    await Task.WhenAny(process.Exited, meter.Exceeded).WaitAsync(linked.Token).ConfigureAwait(false);
                    if (!process.Exited.IsCompleted)
                    {
                        // Past memory_limit (sampled): ended before it takes the machine's memory from the other trials.
                        outOfMemory = true;
                        KillAll();
                        await process.Exited.ConfigureAwait(false);
                    }
                }
                else
                {
                    await process.Exited.WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                status = cancellationToken.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Timeout;
                KillAll();
                await process.Exited.ConfigureAwait(false);
            }
        }
        // The kernel ended a process of the trial at its group's memory limit.
        outOfMemory |= meter?.OutOfMemory == true;
        var leftovers = grouped ? await EndLeftoversAsync(process.Id, meter, pumps).ConfigureAwait(false) : null;
        // Something outside the group (its own session) may still hold the pipes: do not wait for its EOF.
        await Task.WhenAny(pumps, Task.Delay(TrialProcesses.LeftoverGrace, _time, CancellationToken.None)).ConfigureAwait(false);
        await stdoutFile.DisposeAsync().ConfigureAwait(false);
        await stderrFile.DisposeAsync().ConfigureAwait(false);
        var duration = _time.GetElapsedTime(startedAt);
        var exitCode = await process.Exited.ConfigureAwait(false);

        var (metrics, problems) = MetricsFile.Parse(metricsPath, _time.GetUtcNow());
        if (leftovers is not null)
        {
            problems = [.. problems, leftovers];
        }
        var (tags, note, labelProblems) = TrialLabels.Read(dir);
        problems = [.. problems, .. labelProblems];
        var warnings = TrialWarnings.Join(problems);
        gpus?.Dispose();
        var usage = Usage(context.Grant, duration, process.Usage, meter) with { PeakGpuMemoryBytes = gpus?.PeakBytes, GpuUtilization = gpus?.Utilization };
        TrialOutcome Labelled(TrialOutcome outcome) => outcome with { Metrics = metrics, Tags = tags, Note = note, Usage = usage };
        if (status == TrialStatus.Timeout)
        {
            return Labelled(new TrialOutcome(status, duration, Error: Join($"timed out after {DurationParser.Format(_timeout!.Value)}; the process tree was killed", Tail(dir)), ExitCode: exitCode));
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
            return Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: Join($"exit code {exitCode}", Tail(dir)), ExitCode: exitCode));
        }
        var results = TrialFiles.ReadText(resultsPath, _limits.MaxResultsBytes, out var readError);
        if (readError is not null)
        {
            var hint = readError.Contains("more than the limit", StringComparison.Ordinal) ? " (limits.results in the study file raises it)" : string.Empty;
            return Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: $"{ResultsFile}: {readError}{hint}", ExitCode: exitCode));
        }
        if (string.IsNullOrWhiteSpace(results))
        {
            results = null;
        }
        else if (ResultsJson.Validate(results = ResultsJson.AcceptNonFinite(results)) is { } invalid)
        {
            return Labelled(new TrialOutcome(TrialStatus.Failed, duration, Error: $"{ResultsFile}: {invalid}", ExitCode: exitCode));
        }
        return Labelled(new TrialOutcome(TrialStatus.Completed, duration, results, warnings, exitCode));
    }

    // Memory from the meter only: wait4's ru_maxrss counts the runner's own image (the child is charged it at exec).
    private static Resources.TrialUsage Usage(Resources.ResourceGrant grant, TimeSpan wall, ProcessUsage? measured, TrialMeter? meter) => new()
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
    private async Task<string?> EndLeftoversAsync(int group, TrialMeter? meter, Task pumps)
    {
        bool Left() => ProcessTree.GroupAlive(group) || meter?.Alive().Count > 0;
        if (!Left())
        {
            return null;
        }
        var deadline = _time.GetTimestamp();
        while (Left() && _time.GetElapsedTime(deadline) < TrialProcesses.LeftoverGrace)
        {
            await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromMilliseconds(20), _time, CancellationToken.None)).ConfigureAwait(false);
        }
        if (!Left())
        {
            return null;
        }
        ProcessTree.KillGroup(group);
        meter?.KillAll();
        return $"the trial's main process exited but left processes running; they were ended after {DurationParser.Format(TrialProcesses.LeftoverGrace)} (keep_children: true in the study keeps them)";
    }

    private async Task PumpAsync(Stream source, LazyFile target, TrialContext context, bool isStderr)
    {
        try
        {
            await CopyAsync(source, target, context, isStderr).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The trial ended and its log was closed while something it left behind (now ended) still wrote.
        }
    }

    private async Task CopyAsync(Stream source, LazyFile target, TrialContext context, bool isStderr)
    {
        if (_echo is null)
        {
            var buffer = new byte[8192];
            int read;
            while ((read = await source.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                await target.Stream.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false);
            }
            return;
        }
        using var reader = new StreamReader(source, Encoding.UTF8);
        while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            await target.Stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await target.Stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            _echo(context, context.Scrubber.Scrub(line), isStderr);
        }
    }

    /// <summary>A log file created on the first byte: a silent trial costs no files (thousands of short trials add up).</summary>
    private sealed class LazyFile(string path, Provenance.SecretScrubber scrubber) : IAsyncDisposable
    {
        private Stream? _stream;

        // Known secrets (a password the trial echoes) are masked before they reach the disk.
        public Stream Stream => _stream ??= scrubber.Wrap(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096, useAsync: false));

        public async ValueTask DisposeAsync()
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
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
