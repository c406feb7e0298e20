using System.CommandLine;
using Expt.Execution;
using Expt.Provenance;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt worker</c>: pull trials from the store and run them, without a study file (fill with <c>run --enqueue-only</c>).</summary>
internal sealed class WorkerCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Option<string?> _study = new("--study") { Description = "Only this study (default: any study with pending trials)" };
    private readonly Option<int?> _parallel = GlobalOptions.Integer("--parallel", "-j", "Trials at once (default: one per core)", "a number of trials to run at once");
    private readonly Option<int?> _maxTrials = GlobalOptions.Integer("--max-trials", "-k", "Stop after this many trials", "a number of trials");
    private readonly Option<string?> _idleExit = new("--idle-exit") { Description = "Keep polling for new trials this long before exiting (e.g. 60s; default: exit when none is left)" };
    private readonly Option<string?> _where = new("--where") { Description = "With --study: run only the pending trials whose parameters match" };
    private readonly Option<bool> _isolate = new("--isolate") { Description = "Run C# trials in worker processes (one per slot), as expt run --isolate" };
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Stream each command trial's stdout and stderr" };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only failures" };
    private readonly LeaseOptions _leases = new();
    private readonly CapacityOptions _capacity = new();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt run study.yaml --enqueue-only && expt worker -j 4",
        "expt worker --study lr-sweep --max-trials 100 --idle-exit 60s",
        "expt worker --store postgresql://expt@db.lab:5432/expt -j 8 --lease 60s --heartbeat 15s",
    ];

    public override Command Build()
    {
        var command = new Command("worker", "Run pending trials from the store: any number of workers may share it, none runs a trial twice.");
        foreach (var option in new Option[] { _study, _where, _parallel, _maxTrials, _idleExit, _isolate, _verbose, _quiet }.Concat(_leases.All).Concat(_capacity.All))
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    // In a Slurm array task the worker's id names the task, so expt slurm status can tell which task holds what.
    private WorkerIdentity Identity() =>
        Env.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } job && Env.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID") is { Length: > 0 } task
            ? new WorkerIdentity($"slurm-{job}_{task}-{Environment.MachineName}-{Environment.ProcessId}-{TrialIdentity.NewId()}", Environment.MachineName, Environment.ProcessId)
            : WorkerIdentity.ForThisProcess();

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        TimeSpan? idle = null;
        if (parseResult.GetValue(_idleExit) is { } text)
        {
            idle = DurationParser.TryParse(text, out var d) && d <= InputLimits.MaxDuration ? d : throw new UserException($"--idle-exit: '{InputLimits.Quote(text)}' is not a duration of at most {DurationParser.Format(InputLimits.MaxDuration)}; expected e.g. 30s, 5m");
        }
        var requested = parseResult.GetValue(_parallel) ?? 0;
        if (requested is < -InputLimits.MaxParallel or > InputLimits.MaxParallel || parseResult.GetValue(_maxTrials) is < 1)
        {
            throw new UserException($"--parallel must be up to {InputLimits.MaxParallel} (0 one per core, -1 all cores, -2 all but one) and --max-trials at least 1");
        }
        var where = Lookup.Where("--where", parseResult.GetValue(_where));
        if (where is not null && parseResult.GetValue(_study) is null)
        {
            throw new UserException("--where needs --study: it picks among the pending trials of one study");
        }
        var slots = StudySpec.ResolveParallel(requested, Environment.ProcessorCount);
        var leaseDefaults = _leases.Apply(new WorkerOptions(), parseResult, StoreOpener.KeepsFilesInStore(StoreOption(parseResult), Env));
        _capacity.Parse(parseResult);
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult) with { WaitForServer = true, CheckIntegrity = true }, Env, cancellationToken).ConfigureAwait(false);
        var executors = new StoredStudyExecutors(Env, store, parseResult.GetValue(_isolate), parseResult.GetValue(_verbose));
        string? studyId = null;
        IReadOnlyList<string>? subset = null;
        var declared = false;
        var auto = new HashSet<string>(StringComparer.Ordinal);
        var adaptive = new Dictionary<string, Adaptive.AdaptiveRules>(StringComparer.Ordinal);
        if (parseResult.GetValue(_study) is { } name)
        {
            var study = await Lookup.StudyAsync(store, name, cancellationToken).ConfigureAwait(false);
            executors.Add(study);
            if (Adaptive.AdaptiveRules.For(study) is { } rules)
            {
                adaptive[study.Id] = rules;
            }
            studyId = study.Id;
            var present = (await store.CountAsync(study.Id, cancellationToken).ConfigureAwait(false)).Values.Sum();
            if (await Execution.EnqueueProgress.ReadAsync(store, study.Id, present, cancellationToken).ConfigureAwait(false) is { Alive: not true } enqueue)
            {
                // The worker runs what is there; what was never enqueued is not its to run, but the user should know.
                await Env.Error.WriteLineAsync($"warning: {study.Name}: {enqueue}").ConfigureAwait(false);
            }
            declared = StoredSpec.Read(study.SpecJson).Resources.Declared;
            if (StoredSpec.Read(study.SpecJson).Resources.AutoMemory)
            {
                auto.Add(study.Id);
            }
            if (where is not null)
            {
                subset = await RunProvenance.PendingMatchingAsync(store, study.Id, where, cancellationToken).ConfigureAwait(false);
                await Env.Error.WriteLineAsync($"{Text.Counted.Of(subset.Count, "pending trial")} of {study.Name} match --where").ConfigureAwait(false);
            }
        }
        else
        {
            foreach (var summary in await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false))
            {
                executors.Add(summary.Study);
                if (Adaptive.AdaptiveRules.For(summary.Study) is { } rules)
                {
                    adaptive[summary.Study.Id] = rules;
                }
                var resources = StoredSpec.Read(summary.Study.SpecJson).Resources;
                declared |= resources.Declared;
                if (resources.AutoMemory)
                {
                    auto.Add(summary.Study.Id);
                }
            }
        }
        var options = leaseDefaults with
        {
            Identity = Identity(),
            StudyId = studyId,
            Ids = subset,
            RunId = (await RunProvenance.RecordAsync(store, SystemInfoLevel.Basic, Env, pythonJson: null, cancellationToken).ConfigureAwait(false)).Id,
            Slots = slots,
            MaxTrials = parseResult.GetValue(_maxTrials),
            IdleExit = idle,
            ProvenanceJson = ProvenanceCollector.Machine(SystemInfoLevel.Basic),
            Scrubber = SecretScrubber.FromEnvironment(Environment.GetEnvironmentVariables()),
            AdaptiveStudies = adaptive,
        };
        if (_capacity.Pool(parseResult, declared, Env) is { } pool)
        {
            slots = requested == 0 ? Math.Max(slots, pool.Capacity.Cpus) : slots;
            options = options with { Resources = pool, Slots = slots, AutoMemoryStudies = auto };
            await Env.Error.WriteLineAsync($"resources: {pool.Capacity}").ConfigureAwait(false);
        }
        using var interruptions = new RunInterruptions(Env);
        var progress = new RunProgress(Env with { IsTerminal = false }, 0, 0, parseResult.GetValue(_quiet));
        await Env.Error.WriteLineAsync($"worker {options.Identity.Id}: {slots} slots on {store.Description}{(studyId is null ? string.Empty : $", study {parseResult.GetValue(_study)}")}").ConfigureAwait(false);
        var (spoolPath, reserve) = StoreOpener.Spool(store, Env);
        using var runners = new Runners(Env, store, spoolPath);
        await runners.RecoverAsync(cancellationToken).ConfigureAwait(false);
        runners.Register(options);
        Directory.CreateDirectory(Path.GetDirectoryName(spoolPath)!);
        using var spool = OutcomeSpool.Open(spoolPath, reserve);
        options = options with { Spool = spool };
        WorkerReport report;
        try
        {
            report = await new Worker(store, executors.For, options, Env.Time, progress).RunAsync(interruptions.Stop, interruptions.Abort, interruptions.Preempt).ConfigureAwait(false);
            runners.Completed();
        }
        catch (StoreUnavailableException ex)
        {
            throw new UserException($"worker stopped: {ex.Message}", ExitCodes.StoreError);
        }
        await Env.Error.WriteLineAsync(
            $"worker done: {report.Completed} completed, {report.Failed + report.TimedOut} failed attempts, {report.Cancelled} cancelled, " +
            $"{report.GivenBack} given back, {report.Refused} refused (lease lost) in {DurationParser.Format(report.Elapsed)}").ConfigureAwait(false);
        if (report.Problem is { } problem)
        {
            await Env.Error.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        // Terminated (SIGTERM, SIGUSR2): a clean shutdown on request, its unfinished trials already back in the queue.
        return interruptions.Terminated ? ExitCodes.Success
            : interruptions.Interrupted ? ExitCodes.Interrupted
            : report.CancelledInStore > 0 ? ExitCodes.Cancelled
            : report.Failed + report.TimedOut > 0 ? ExitCodes.TrialsFailed
            : ExitCodes.Success;
    }
}
