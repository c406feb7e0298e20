using System.CommandLine;
using Expt.Adaptive;
using Expt.Cli.Output;
using Expt.Execution;
using Expt.Mpi;
using Expt.Provenance;
using Expt.Spec;
using Expt.Storage;
using Expt.Text;
using Expt.Trials;
using Spectre.Console;

namespace Expt.Cli.Commands;

/// <summary><c>expt run</c>: define a study (file, C# experiment, or a command after <c>--</c>), enqueue it, run it.</summary>
internal sealed class RunCommand(CliEnvironment env, GlobalOptions globals, IReadOnlyList<string> trailingCommand) : ExptCommand(env, globals)
{
    private readonly StudyOptions _study = new();
    private readonly Option<bool> _dryRun = new("--dry-run", "-n") { Description = "Print the trials that would run; run nothing, write nothing" };
    private readonly Option<bool> _new = new("--new") { Description = "Start a new version of the study (name-v2, ...) when the file changed incompatibly" };
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Stream each trial's stdout and stderr" };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only failures and the final table" };
    private readonly Option<bool> _enqueueOnly = new("--enqueue-only") { Description = "Create the study and its trials, run nothing (then start expt worker anywhere)" };
    private readonly Option<bool> _isolate = new("--isolate") { Description = "Run C# trials in worker processes (one per slot): crashes and hangs cannot take the study down" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();
    private readonly LeaseOptions _leases = new();
    private readonly CapacityOptions _capacity = new();
    private readonly Option<int?> _limit = GlobalOptions.Integer("--limit", "-l", "With --dry-run: show at most this many trials (default 1,000; 0 shows all)", "a number of trials");
    private readonly Option<string?> _where = new("--where") { Description = "Run only the pending trials whose parameters match, e.g. 'dataset == \"digits\"' (the others stay pending)" };
    private readonly Option<bool> _printConfig = new("--print-config") { Description = "Print the study file as Expt reads it (includes and config groups composed, --set applied) and run nothing" };
    private readonly Option<bool> _mpi = new("--mpi") { Description = "Under mpiexec: rank 0 owns the store and hands trials to ranks 1..K-1 as they become free" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt run examples/quickstart/expt.yaml",
        "expt run study.yaml --set lr=0.001,0.01 --set replications=3 -j 4",
        "expt run study.yaml --dry-run",
        "expt run study.yaml --set model=vit --print-config",
        "expt run --name echo-sweep --set x=1,2,3 -- python3 -c \"print({x})\"",
    ];

    public override Command Build()
    {
        var command = new Command("run", "Run a study: create it in the store (or resume it), then run its pending trials in parallel.");
        command.Arguments.Add(_study.Target);
        foreach (var option in new Option[] { _study.Set, _study.Parallel, _dryRun, _study.Yes, _new, _study.Name, _verbose, _quiet, _isolate, _enqueueOnly, _format, _limit, _where, _mpi, _printConfig }.Concat(_leases.All).Concat(_capacity.All))
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var spec = _study.Load(parseResult, Env, trailingCommand);
        if (parseResult.GetValue(_printConfig))
        {
            // Checked first (Load), so what is printed is a study that binds.
            var yaml = _study.ResolvedYaml(parseResult, Env) ?? throw new UserException("--print-config: expected a study file");
            Env.Out.Profile.Out.Writer.Write(yaml);
            return ExitCodes.Success;
        }
        var where = Lookup.Where("--where", parseResult.GetValue(_where));
        // Every option is checked before anything touches the store: bad input leaves nothing half-written.
        _leases.Apply(new WorkerOptions(), parseResult, keepFilesInStore: false);
        _capacity.Parse(parseResult);
        if (spec.Executor is not null && !parseResult.GetValue(_dryRun))
        {
            // A plugin's executor is made once up front: an unknown kind or a bad option stops the run before the store.
            (CreateExecutor(spec, isolate: false, verbose: false) as IDisposable)?.Dispose();
        }
        if (parseResult.GetValue(_dryRun))
        {
            PrintPlan(spec, parseResult.GetValue(_format), parseResult.GetValue(_limit) is { } limit ? (limit >= 0 ? limit : throw new UserException($"--limit: expected 0 or more, got {limit}")) : 1000);
            return ExitCodes.Success;
        }

        MpiComm? mpi;
        try
        {
            mpi = parseResult.GetValue(_mpi) ? MpiComm.Initialize(Env.GetEnvironmentVariable("EXPT_MPI_LIBRARY")) : null;
        }
        catch (MpiUnavailableException ex)
        {
            throw new UserException(ex.Message);
        }
        if (mpi is { Size: > 1, Rank: > 0 })
        {
            // A trial rank: no store, no output; it runs what rank 0 sends.
            using var interrupted = new CancellationTokenSource();
            using var subscription = Env.Interrupts.Subscribe(_ => interrupted.Cancel());
            return await MpiRank.RunAsync(mpi, CreateExecutor(spec, isolate: false, verbose: false), interrupted.Token).ConfigureAwait(false);
        }
        var coordinator = mpi is { Size: > 1 } ? new MpiCoordinator(mpi) : null;
        if (coordinator is not null)
        {
            spec = spec with { Parallel = coordinator.Ranks };
        }
        try
        {
            var code = await RunStudyAsync(parseResult, spec, where, coordinator, cancellationToken).ConfigureAwait(false);
            if (coordinator is not null && code != ExitCodes.Interrupted && !await coordinator.StopRanksAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
            {
                await Env.Error.WriteLineAsync("warning: some MPI ranks did not confirm they stopped").ConfigureAwait(false);
            }
            if (code != ExitCodes.Interrupted)
            {
                mpi?.Shutdown();
            }
            return code;
        }
        finally
        {
            coordinator?.Dispose();
        }
    }

    private async Task<int> RunStudyAsync(ParseResult parseResult, StudySpec spec, Expressions.WhereExpression? where, MpiCoordinator? coordinator, CancellationToken cancellationToken)
    {
        // Two operations at once: a big study's trials are enqueued two batches at a time.
        await using var store = await StoreOpener.OpenAsync(StoreOption(parseResult) with { Operations = 2, CheckIntegrity = true }, Env, cancellationToken).ConfigureAwait(false);
        var (spoolPath, reserve) = StoreOpener.Spool(store, Env);
        using var runners = new Runners(Env, store, spoolPath);
        if (!parseResult.GetValue(_enqueueOnly))
        {
            await runners.RecoverAsync(cancellationToken).ConfigureAwait(false);
        }
        if (parseResult.GetValue(_new) && await store.GetStudyAsync(spec.Name, cancellationToken).ConfigureAwait(false) is not null)
        {
            spec = spec with { Name = await StudyPreparation.NextVersionNameAsync(store, spec.Name, cancellationToken).ConfigureAwait(false) };
        }
        await WarnAboutSecretsAsync(spec).ConfigureAwait(false);
        var python = spec.Python is { } target ? PythonSource.Describe(target, spec.WorkDir) : null;
        var provenance = ProvenanceCollector.ForStudy(spec.SystemInfo, Environment.GetCommandLineArgs(), Env.WorkingDirectory, spec.ToJson(), Env.Time.GetUtcNow(), python);
        var prepared = await StudyPreparation.PrepareAsync(store, spec, provenance, requeueCancelled: true, cancellationToken).ConfigureAwait(false);
        var (runId, runJson) = await RunProvenance.RecordAsync(store, spec.SystemInfo, Env, python, cancellationToken).ConfigureAwait(false);
        var counts = await store.CountAsync(prepared.Study.Id, cancellationToken).ConfigureAwait(false);
        var total = counts.Values.Sum();
        var pending = counts.GetValueOrDefault(TrialStatus.Pending);
        var finished = total - pending - counts.GetValueOrDefault(TrialStatus.Running);
        var verb = prepared.Created ? "created" : "resumed";
        var withdrawn = prepared.Narrowing.Withdrawn + prepared.Narrowing.StillWithdrawn;
        IReadOnlyList<string>? subset = null;
        if (where is not null)
        {
            subset = await RunProvenance.PendingMatchingAsync(store, prepared.Study.Id, where, cancellationToken).ConfigureAwait(false);
        }
        var toRun = subset?.Count ?? pending;
        var work = toRun == 0 ? "nothing to run" : $"{toRun:N0} to run, {Math.Min(spec.EffectiveParallel, toRun)} at once";
        if (subset is not null)
        {
            work = $"{subset.Count:N0} of {Counted.Of(pending, "pending trial")} match --where, " + work;
        }
        var shape = spec.Adaptive is { } adaptivePlan
            ? $"{Counted.Of(prepared.Planned / Math.Max(1, spec.Replications), "point")} × {adaptivePlan.InitialReplicates}–{adaptivePlan.MaxReplicates} replicates, " +
                (adaptivePlan.Race is { } race ? $"raced on {race.Metric}" : $"until {adaptivePlan.Sequential!.Until.Text}")
            : total - withdrawn == prepared.Planned
            ? $"{Counted.Of(prepared.Planned / Math.Max(1, spec.Replications), "point")} × {Counted.Of(spec.Replications, "replication")}" + (prepared.Added > 0 && !prepared.Created ? $", {prepared.Added:N0} new" : string.Empty) + (withdrawn > 0 ? $", {withdrawn:N0} withdrawn" : string.Empty)
            : $"{prepared.Planned:N0} from the file, {total - withdrawn - prepared.Planned:N0} added with expt add" + (withdrawn > 0 ? $", {withdrawn:N0} withdrawn" : string.Empty);
        await Env.Error.WriteLineAsync($"study {spec.Name} {verb}: {Counted.Of(total, "trial")} ({shape}), {work}; store {store.Description}").ConfigureAwait(false);
        if (prepared.Unfinished is { } unfinished)
        {
            await Env.Error.WriteLineAsync($"finished an earlier enqueue that had stopped at {unfinished.Present:N0} of {(unfinished.Exact ? string.Empty : "at most ")}{unfinished.Expected:N0} trials ({prepared.Added:N0} added now)").ConfigureAwait(false);
        }
        await SayNarrowingAsync(spec.Name, prepared.Narrowing).ConfigureAwait(false);
        if (!prepared.Created && ProvenanceCollector.CodeChange(prepared.Study.ProvenanceJson, runJson) is { } change)
        {
            // The code moved since the study began: new trials record this run's code, so expt diff can tell them apart.
            await Env.Error.WriteLineAsync($"warning: the code differs from when {spec.Name} was created ({change}); trials run now record it (expt show, expt diff)").ConfigureAwait(false);
        }

        if (parseResult.GetValue(_enqueueOnly))
        {
            await Env.Error.WriteLineAsync($"enqueued only; run the trials with: expt worker --study {spec.Name}").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        ITrialExecutor executor = coordinator ?? CreateExecutor(spec, parseResult.GetValue(_isolate), parseResult.GetValue(_verbose));
        // An adaptive study's total is not known until it ends: the progress counts trials without a total.
        var progress = new RunProgress(Env, spec.Adaptive is null ? total : 0, spec.Adaptive is null ? finished : 0, parseResult.GetValue(_quiet));
        var options = _leases.Apply(
            new WorkerOptions { StudyId = prepared.Study.Id, Ids = subset, RunId = runId, Slots = spec.EffectiveParallel, ProvenanceJson = ProvenanceCollector.Machine(spec.SystemInfo), Scrubber = Scrubber(spec) },
            parseResult,
            StoreOpener.KeepsFilesInStore(StoreOption(parseResult), Env));
        var pool = coordinator is null ? _capacity.Pool(parseResult, spec.Resources.Declared, Env) : null;
        if (pool is not null)
        {
            // Declared resources and no -j: as many trials at once as fit (each needs a core at least).
            options = options with { Resources = pool, Slots = spec.Parallel == 0 ? Math.Max(options.Slots, pool.Capacity.Cpus) : options.Slots };
            if (spec.Resources.AutoMemory)
            {
                options = options with { AutoMemoryStudies = new HashSet<string>(StringComparer.Ordinal) { prepared.Study.Id } };
                await MemoryRelearning.RelearnAsync(store, prepared, cancellationToken).ConfigureAwait(false);
            }
            await Env.Error.WriteLineAsync($"resources: {pool.Capacity}; each trial needs {DescribeNeeds(spec)}").ConfigureAwait(false);
        }
        if (AdaptiveRules.For(prepared.Study) is { } adaptive)
        {
            options = options with { AdaptiveStudies = new Dictionary<string, AdaptiveRules>(StringComparer.Ordinal) { [prepared.Study.Id] = adaptive } };
        }
        runners.Register(options);
        Directory.CreateDirectory(Path.GetDirectoryName(spoolPath)!);
        using var spool = OutcomeSpool.Open(spoolPath, reserve);
        options = options with { Spool = spool };
        var report = await RunWorkerAsync(store, options, executor, progress).ConfigureAwait(false);
        runners.Completed();
        if (executor is IAsyncDisposable disposable && coordinator is null)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }

        var all = await store.ListTrialsAsync(new TrialFilter { StudyId = prepared.Study.Id }, CancellationToken.None).ConfigureAwait(false);
        // Withdrawn trials are no longer the file's: listed by expt ls, left out of what this run reports.
        var trials = all.Where(t => !(t.Status == TrialStatus.Cancelled && t.Error == TrialRows.WithdrawnError)).ToList();
        // -q leaves out the completed trials' lines, not the final table.
        if (trials.Count > 0)
        {
            if (PointTable.Constants(trials) is { } constants)
            {
                Env.Out.Profile.Out.Writer.WriteLine($"every point: {constants}");
            }
            TableRenderer.Write(Env, PointTable.Build(trials, [.. Analysis.Objectives.FromSpecJson(prepared.Study.SpecJson).Items.Select(o => o.Metric)]), OutputFormat.Table);
        }
        var failed = trials.Count(t => t.Status is TrialStatus.Failed or TrialStatus.Timeout);
        var completed = trials.Count(t => t.Status == TrialStatus.Completed);
        var byHand = trials.Count(t => t.Status == TrialStatus.Cancelled && t.Error == TrialRows.CancelledError);
        var left = trials.Count(t => t.Status is TrialStatus.Pending or TrialStatus.Cancelled or TrialStatus.Running) - byHand;
        // Trials no worker like this one could ever take: said plainly, not left to look like "nothing to do".
        var tooBig = pool is null ? 0 : trials.Count(t => t.Status == TrialStatus.Pending && t.Needs.MemoryBytes != Resources.ResourcePlan.Unmeasured && !pool.Capacity.CanEverFit(t.Needs));
        var thisRun = report.Worker.Total == 0
            ? trials.Count == 0
                ? $"the study has no trials yet: add points with expt add {spec.Name} --set NAME=VALUE,..."
                : subset is not null && left > 0 ? "no pending trial matched --where"
                : tooBig > 0 ? "nothing here could run them"
                : "nothing was left to run (expt retry re-runs failed trials)"
            : $"this run: {Counted.Of(progress.TrialsFinished, "trial")}{(progress.Retried > 0 ? $" ({Counted.Of(report.Worker.Total, "attempt")}: {progress.Retried} retried)" : string.Empty)} in {DurationParser.Format(report.Worker.Elapsed)} ({progress.RateText()} trials/s)";
        var cancelledText = byHand > 0 ? $", {byHand} cancelled by hand" : string.Empty;
        await Env.Error.WriteLineAsync($"{completed} completed, {failed} failed, {left} not run{cancelledText}; {thisRun}").ConfigureAwait(false);
        if (spec.Adaptive is not null && AdaptiveReport.For(prepared.Study, trials, await store.GetPointDecisionsAsync(prepared.Study.Id, CancellationToken.None).ConfigureAwait(false)) is { } adaptiveReport)
        {
            await Env.Error.WriteLineAsync(adaptiveReport.Headline).ConfigureAwait(false);
        }
        if (report.Worker.Problem is { } problem)
        {
            // The study's rules cannot decide anything: a mistake in the file, said once, before anything ran for nothing.
            await Env.Error.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        if (tooBig > 0)
        {
            await Env.Error.WriteLineAsync($"{Counted.Of(tooBig, "trial")} {(tooBig == 1 ? "needs" : "need")} more than this machine has ({pool!.Capacity}); {(tooBig == 1 ? "it stays" : "they stay")} pending for a worker with room: expt worker --study {spec.Name} on a bigger machine (or give --cpus, --memory, --gpus)").ConfigureAwait(false);
        }
        if (failed > 0)
        {
            await Env.Error.WriteLineAsync($"see the failures with: expt ls --study {spec.Name} --status failed,timeout; re-run them with: expt retry {spec.Name}").ConfigureAwait(false);
        }
        if (report.Interrupted)
        {
            if (report.Worker.GivenBack > 0)
            {
                await Env.Error.WriteLineAsync($"{Counted.Of(report.Worker.GivenBack, "unfinished trial")} went back to the queue").ConfigureAwait(false);
            }
            await Env.Error.WriteLineAsync("interrupted: run the same command again to finish the remaining trials").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        if (report.Worker.CancelledInStore > 0)
        {
            await Env.Error.WriteLineAsync($"{Counted.Of(report.Worker.CancelledInStore, "running trial")} {(report.Worker.CancelledInStore == 1 ? "was" : "were")} cancelled by expt cancel; run them again with: expt retry {spec.Name}").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        // Trials left that this machine cannot take are not a success either: a script must not read the study as done.
        return failed > 0 || tooBig > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }

    /// <summary>Known secrets of this run: secret-named variables, the study's env secrets, secrets on its command line.</summary>
    private static SecretScrubber Scrubber(StudySpec spec)
    {
        var fromSpec = spec.Env.Where(e => Redactor.IsSecretName(e.Key)).Select(e => CommandExecutor.EnvironmentReference(e.Value) is { } name ? Environment.GetEnvironmentVariable(name) ?? string.Empty : e.Value)
            .Concat(spec.Env.Values.SelectMany(Redactor.SecretsIn))
            .Concat(spec.Command is null ? [] : Redactor.SecretsIn(spec.Command.Text))
            .Concat(spec.Command is null ? [] : Redactor.SecretsInArguments(SplitOrNothing(spec.Command.Text)))
            // This runner's own command line (a --store password): never the trials', but never stored either.
            .Concat(Redactor.SecretsInArguments(Environment.GetCommandLineArgs()));
        return SecretScrubber.FromEnvironment(Environment.GetEnvironmentVariables(), fromSpec);
    }

    private static IReadOnlyList<string> SplitOrNothing(string command)
    {
        try
        {
            return CommandTemplate.Split(command);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>Secrets written into a study are used by this run but never stored; say what that means.</summary>
    private async Task WarnAboutSecretsAsync(StudySpec spec)
    {
        if (spec.CommandHoldsSecret)
        {
            await Env.Error.WriteLineAsync("warning: the command line holds a secret (a password, token or key); this run uses it but the store keeps it masked, " +
                "so workers elsewhere cannot run this study. Pass secrets through the environment instead: env: {DB_PASSWORD: ${DB_PASSWORD}} (see docs/trial-protocol.md)").ConfigureAwait(false);
        }
        foreach (var (name, value) in spec.Env.Where(e => CommandExecutor.EnvironmentReference(e.Value) is null && Redactor.RedactVariable(e.Key, e.Value) != e.Value))
        {
            await Env.Error.WriteLineAsync($"warning: env.{name} holds a secret; this run uses it but the store keeps it masked, and workers elsewhere use their own ${name}. Write {name}: ${{{name}}} to pass it from each worker's environment").ConfigureAwait(false);
        }
    }

    private void PrintPlan(StudySpec spec, OutputFormat format, int limit)
    {
        // Lazily: a dry run of a 10^9-point grid shows its first trials and a count, it does not build them all.
        var small = spec.Space.EstimatedSize <= 1_000_000;
        var shown = TrialPlan.Enumerate(spec);
        if (limit > 0)
        {
            shown = shown.Take(limit);
        }
        var printed = 0;
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartArray();
                foreach (var t in shown)
                {
                    printed++;
                    w.WriteStartObject();
                    w.WriteNumber("seq", t.Seq);
                    w.WritePropertyName("params");
                    w.WriteRawValue(t.Params.ToFlatJson());
                    w.WriteNumber("replicate", t.Replicate);
                    w.WriteNumber("seed", t.Seed);
                    w.WriteString("key", t.Key);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        else
        {
            var names = spec.Space.Names;
            var rows = shown.Select(t => (IReadOnlyList<string>)new[] { t.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                .Concat(names.Select(n => t.Params.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty))
                .Concat([t.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Key]).ToList()).ToList();
            printed = rows.Count;
            TableRenderer.Write(Env, new TableData(["#", .. names, "replicate", "seed", "key"], rows), format);
        }
        var replications = Math.Max(1, spec.Replications);
        string count;
        if (small || spec.Space.IsSizeExact)
        {
            var points = small ? (limit > 0 && printed < limit ? printed / replications : spec.Space.Enumerate(spec.Seed).LongCount()) : (long)spec.Space.EstimatedSize;
            count = $"{Counted.Of(points, "point")} × {Counted.Of(spec.Replications, "replication")} = {Counted.Of(points * spec.Replications, "trial")}" +
                (spec.Adaptive is { } plan ? $" up front; more as results come in, up to {plan.MaxReplicates} per point ({Counted.Of(points * plan.MaxReplicates, "trial")})" : string.Empty);
        }
        else
        {
            count = $"at most {spec.Space.EstimatedSize:N0} points × {Counted.Of(spec.Replications, "replication")} (before exclude and where)";
        }
        var cut = limit > 0 && printed == limit ? $"; the first {printed:N0} shown (--limit 0 shows all)" : string.Empty;
        Env.Error.WriteLine($"dry run: study {spec.Name}, {count}{cut}; nothing was run or stored");
    }

    private ITrialExecutor CreateExecutor(StudySpec spec, bool isolate, bool verbose) =>
        Executors.Create(Env, spec.Name, ExecutorRecipe.From(spec), isolate, verbose);

    private sealed record RunReport(WorkerReport Worker, bool Interrupted);

    private async Task<RunReport> RunWorkerAsync(IExptStore store, WorkerOptions options, ITrialExecutor executor, RunProgress progress)
    {
        using var interruptions = new RunInterruptions(Env, status => progress.Status = status);
        var worker = new Worker(store, _ => executor, options, Env.Time, progress);
        WorkerReport report;
        // -q asks for quiet: no live panel either, only failures and the end.
        if (Env.IsTerminal && !progress.Quiet)
        {
            report = await Env.Out.Live(progress.Render()).AutoClear(false).StartAsync(async context =>
            {
                var run = worker.RunAsync(interruptions.Stop, interruptions.Abort, interruptions.Preempt);
                while (await Task.WhenAny(run, Task.Delay(250, CancellationToken.None)).ConfigureAwait(false) != run)
                {
                    context.UpdateTarget(progress.Render());
                }
                context.UpdateTarget(progress.Render());
                return await run.ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        else
        {
            report = await worker.RunAsync(interruptions.Stop, interruptions.Abort, interruptions.Preempt).ConfigureAwait(false);
        }
        return new RunReport(report, interruptions.Interrupted);
    }

    private async Task SayNarrowingAsync(string study, NarrowingReport narrowing)
    {
        if (narrowing.Withdrawn > 0)
        {
            await Env.Error.WriteLineAsync(
                $"withdrew {Counted.Of(narrowing.Withdrawn, "pending trial")} the file no longer plans ({narrowing.Why}); " +
                $"listed as cancelled (expt ls --study {study} --status cancelled), back if the file plans them again").ConfigureAwait(false);
        }
        if (narrowing.Requeued > 0)
        {
            await Env.Error.WriteLineAsync($"{Counted.Of(narrowing.Requeued, "cancelled trial")} back in the queue (interrupted by a stopped run, or planned again by the file)").ConfigureAwait(false);
        }
        if (narrowing.CancelledByHand > 0)
        {
            await Env.Error.WriteLineAsync($"{Counted.Of(narrowing.CancelledByHand, "trial")} cancelled by hand {(narrowing.CancelledByHand == 1 ? "stays" : "stay")} cancelled; run {(narrowing.CancelledByHand == 1 ? "it" : "them")} with: expt retry {study}").ConfigureAwait(false);
        }
    }

    private static string DescribeNeeds(StudySpec spec) =>
        spec.Resources.Base + (spec.Resources.AutoMemory ? ", memory measured on the first trial (auto)" : string.Empty) +
        (spec.Resources.Rules.Count == 0 ? string.Empty : $" ({spec.Resources.Rules.Count} when rule{(spec.Resources.Rules.Count == 1 ? string.Empty : "s")})");
}
