using System.CommandLine;
using System.Globalization;
using System.Text;
using Expt.Execution;
using Expt.Provenance;
using Expt.Slurm;
using Expt.Spec;

namespace Expt.Cli.Commands.Slurm;

/// <summary>
/// <c>expt slurm submit FILE --workers N</c>: creates the study (like <c>run --enqueue-only</c>), writes a readable
/// sbatch script into the study's directory and submits one job array whose tasks each run <c>expt worker</c>.
/// </summary>
internal sealed class SlurmSubmitCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly StudyOptions _study = new();
    private readonly Option<int?> _workers = GlobalOptions.Integer("--workers", "-w", "Array tasks, one worker each", "a number of workers");
    private readonly Option<int?> _cpus = GlobalOptions.Integer("--cpus-per-worker", "-c", "CPUs per task; the worker runs that many trials at once (default 1, or what --trials-per-worker trials need)", "a number of CPUs");
    private readonly Option<int?> _trialsPerWorker = GlobalOptions.Integer("--trials-per-worker", "-k", "With resources: in the study, how many trials each task runs at once: its request is that many times the largest need (default 1)", "a number of trials");
    private readonly Option<string?> _partition = new("--partition", "-p") { Description = "Slurm partition" };
    private readonly Option<string?> _time = new("--time", "-t") { Description = "Time limit per task, e.g. 02:00:00" };
    private readonly Option<string?> _mem = new("--mem") { Description = "Memory per task, e.g. 4G (default: from the study's resources:)" };
    private readonly Option<int?> _gpus = GlobalOptions.Integer("--gpus-per-worker", "-g", "GPUs per task", "a number of GPUs");
    private readonly Option<string?> _account = new("--account", "-A") { Description = "Slurm account" };
    private readonly Option<string?> _qos = new("--qos") { Description = "Slurm QOS" };
    private readonly Option<string[]> _extra = new("--extra-sbatch") { Description = "More #SBATCH options, e.g. '--constraint=avx512' (repeatable)" };
    private readonly Option<string> _signal = new("--signal") { Description = "Warning signal before the time limit or preemption (the worker gives its trials back)", DefaultValueFactory = _ => "USR2@90" };
    private readonly Option<bool> _requeue = new("--requeue") { Description = "Let Slurm requeue preempted tasks" };
    private readonly Option<bool> _dryRun = new("--dry-run", "-n") { Description = "Print the sbatch script; create and submit nothing" };
    private readonly LeaseOptions _leases = new();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt slurm submit study.yaml --workers 8 --cpus-per-worker 4 --time 02:00:00 --store postgresql://expt@db/expt",
        "expt slurm submit study.yaml --workers 2 --partition gpu --gpus-per-worker 1 --dry-run",
    ];

    public override Command Build()
    {
        var command = new Command("submit", "Create the study and submit a Slurm job array of expt workers.");
        command.Arguments.Add(_study.Target);
        foreach (var option in new Option[] { _study.Set, _study.Name, _study.Yes, _workers, _cpus, _trialsPerWorker, _partition, _time, _mem, _gpus, _account, _qos, _extra, _signal, _requeue, _dryRun }.Concat(_leases.All))
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var spec = _study.Load(parseResult, Env, []);
        var workers = parseResult.GetValue(_workers) ?? throw new UserException("--workers: how many array tasks (workers) to submit, e.g. --workers 8");
        var perWorker = parseResult.GetValue(_trialsPerWorker) ?? 1;
        if (perWorker is < 1 or > 4096)
        {
            throw new UserException($"--trials-per-worker: expected 1 to 4096, got {perWorker}");
        }
        // The study's resources become the task's request: enough for the largest trial, times the trials per task.
        _request = spec.Resources.Declared ? Request(spec.Resources, perWorker) : null;
        var cpus = parseResult.GetValue(_cpus) ?? _request?.Cpus ?? 1;
        if (workers < 1 || cpus < 1 || parseResult.GetValue(_gpus) is < 0)
        {
            throw new UserException("--workers and --cpus-per-worker must be at least 1");
        }
        _leases.Apply(new WorkerOptions(), parseResult, keepFilesInStore: false); // validates --lease/--heartbeat early
        CheckSbatchValues(parseResult);
        var settings = StoreOption(parseResult);
        var location = StoreOpener.Location(settings, Env);
        var provider = StoreOpener.Provider(settings, Env);
        // A shared store (PostgreSQL): a job array of workers, each claiming from the database. Anything else (a SQLite
        // file on a shared filesystem): one job under mpiexec whose rank 0 is the only writer, ranks 1..N run the trials.
        var mpi = !provider.IsShared;
        await using var store = await StoreOpener.OpenAsync(settings, Env, cancellationToken).ConfigureAwait(false);
        var directory = SlurmJobs.Directory(store, spec.Name);
        var script = mpi
            ? MpiScript(parseResult, spec, Path.GetFullPath(location, Env.WorkingDirectory), workers, cpus, directory)
            : Script(parseResult, spec, provider.ForWorkers(location), workers, cpus, directory);
        if (parseResult.GetValue(_dryRun))
        {
            await Env.Out.Profile.Out.Writer.WriteAsync(script).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        var provenance = ProvenanceCollector.ForStudy(spec.SystemInfo, Environment.GetCommandLineArgs(), Env.WorkingDirectory, spec.ToJson(), Env.Time.GetUtcNow());
        var prepared = await StudyPreparation.PrepareAsync(store, spec, provenance, requeueCancelled: true, cancellationToken).ConfigureAwait(false);
        var counts = await store.CountAsync(prepared.Study.Id, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"job-{(await SlurmJobs.ReadAsync(store, prepared.Study, cancellationToken).ConfigureAwait(false)).Count + 1}.sbatch");
        await File.WriteAllTextAsync(path, script, cancellationToken).ConfigureAwait(false);
        var jobId = await SlurmClient.SubmitAsync(path, cancellationToken).ConfigureAwait(false);
        await SlurmJobs.RecordAsync(store, prepared.Study, new SlurmJobs.Job(jobId, mpi ? 0 : workers, path), cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync(
            $"study {spec.Name} {(prepared.Created ? "created" : "resumed")}: {counts.Values.Sum()} trials, {counts.GetValueOrDefault(Trials.TrialStatus.Pending)} to run; " +
            (mpi ? $"submitted MPI job {jobId} (rank 0 writes the store, {workers} trial ranks × {cpus} CPUs): {path}" : $"submitted job array {jobId} ({workers} workers × {cpus} CPUs): {path}")).ConfigureAwait(false);
        await Env.Out.Profile.Out.Writer.WriteLineAsync(jobId).ConfigureAwait(false);
        await Env.Error.WriteLineAsync($"follow it with: expt slurm status {spec.Name}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private string MpiScript(ParseResult parseResult, StudySpec spec, string storePath, int workers, int cpus, string directory)
    {
        var target = parseResult.GetValue(_study.Target) is { } given && File.Exists(Path.Combine(Env.WorkingDirectory, given))
            ? Path.GetFullPath(given, Env.WorkingDirectory)
            : spec.Name;
        var run = new List<string> { "mpiexec" };
        run.AddRange(Env.SelfCommand);
        run.AddRange(["run", target, "--mpi", "--store", storePath, "--name", spec.Name, "-q"]);
        foreach (var set in parseResult.GetValue(_study.Set) ?? [])
        {
            run.AddRange(["--set", set]);
        }
        if (parseResult.GetValue(_study.Yes))
        {
            run.Add("--yes");
        }
        var s = Header(parseResult, spec, directory,
            "# One job under mpiexec: rank 0 owns the store (the only writer of the SQLite file) and hands trials to the\n" +
            "# other ranks as they become free. On the warning signal, unfinished trials go back to the queue.\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --ntasks={workers + 1}\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={cpus}\n");
        Resources(s, parseResult);
        s.Append("export TERM=dumb\n");
        s.Append("exec ").AppendJoin(' ', run.Select(Quote)).Append('\n');
        return s.ToString();
    }

    private StringBuilder Header(ParseResult parseResult, StudySpec spec, string directory, string what)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append(CultureInfo.InvariantCulture, $"# Expt workers for study {spec.Name}, written by expt slurm submit on {Env.Time.GetUtcNow():yyyy-MM-dd HH:mm} UTC.\n");
        s.Append(what);
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=expt-{spec.Name}\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={directory}/slurm-%A_%a.out\n");
        s.Append("#SBATCH --open-mode=append\n"); // a requeued task keeps what its earlier run printed
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --signal=B:{parseResult.GetValue(_signal)}\n");
        s.Append(parseResult.GetValue(_requeue) ? "#SBATCH --requeue\n" : "#SBATCH --no-requeue\n");
        return s;
    }

    private Resources.TrialNeeds? _request;

    /// <summary>A task's request for <paramref name="trials"/> trials at once: the largest need of any trial (base or rule), times that.</summary>
    internal static Resources.TrialNeeds Request(Resources.ResourcePlan plan, int trials)
    {
        var cpus = plan.Rules.Select(r => r.Cpus ?? 0).Append(plan.Base.Cpus).Max();
        var memory = plan.Rules.Select(r => r.MemoryBytes ?? 0).Append(plan.Base.MemoryBytes).Max();
        var gpus = plan.Rules.Select(r => r.GpuMilli ?? 0).Append(plan.Base.GpuMilli).Max();
        return new Resources.TrialNeeds(cpus * trials, memory * trials, (int)Math.Ceiling(gpus * trials / 1000.0) * 1000);
    }

    private void Resources(StringBuilder s, ParseResult parseResult)
    {
        Optional(s, "--partition", parseResult.GetValue(_partition));
        Optional(s, "--time", parseResult.GetValue(_time));
        Optional(s, "--mem", parseResult.GetValue(_mem) ?? (_request is { MemoryBytes: > 0 } r ? $"{(r.MemoryBytes + (1L << 20) - 1) >> 20}M" : null));
        Optional(s, "--gres", parseResult.GetValue(_gpus) is { } given and > 0 ? $"gpu:{given}" : _request is { GpuMilli: > 0 } g ? $"gpu:{g.GpuMilli / 1000}" : null);
        Optional(s, "--account", parseResult.GetValue(_account));
        Optional(s, "--qos", parseResult.GetValue(_qos));
        foreach (var extra in parseResult.GetValue(_extra) ?? [])
        {
            s.Append(CultureInfo.InvariantCulture, $"#SBATCH {extra}\n");
        }
    }

    private string Script(ParseResult parseResult, StudySpec spec, string location, int workers, int cpus, string directory)
    {
        // The password never goes into the script: workers find it as this command did (--credentials, PGPASSWORD,
        // ~/.pgpass; sbatch passes the environment on).
        var worker = new List<string>(Env.SelfCommand) { "worker", "--store", location, "--study", spec.Name, "-j", cpus.ToString(CultureInfo.InvariantCulture) };
        foreach (var (option, value) in new[] { ("--lease", parseResult.GetValue(_leases.Lease)), ("--heartbeat", parseResult.GetValue(_leases.Heartbeat)) })
        {
            if (value is not null)
            {
                worker.AddRange([option, value]);
            }
        }
        var settings = StoreOption(parseResult);
        if ((settings.Credentials ?? Env.GetEnvironmentVariable("EXPT_CREDENTIALS")) is { } credentials)
        {
            worker.AddRange(["--credentials", Path.GetFullPath(credentials, Env.WorkingDirectory)]);
        }
        if ((settings.Artifacts ?? Env.GetEnvironmentVariable("EXPT_ARTIFACTS")) is { } artifacts)
        {
            worker.AddRange(["--artifacts", Path.GetFullPath(artifacts, Env.WorkingDirectory)]);
        }
        var s = Header(parseResult, spec, directory,
            "# Each array task runs one worker; workers pull trials from the store until none is left. On the warning\n" +
            "# signal (preemption, time limit) a worker gives its unfinished trials back to the queue and exits.\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{workers - 1}\n");
        s.Append("#SBATCH --ntasks=1\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={cpus}\n");
        Resources(s, parseResult);
        s.Append("export TERM=dumb\n");
        s.Append("exec ").AppendJoin(' ', worker.Select(Quote)).Append('\n');
        return s.ToString();
    }

    /// <summary>
    /// Every value that becomes a <c>#SBATCH</c> line is one line of plain words: a newline in <c>--partition</c> would
    /// otherwise be a line of the script (a command the batch job runs).
    /// </summary>
    private void CheckSbatchValues(ParseResult parseResult)
    {
        foreach (var (option, value) in new[] { ("--partition", parseResult.GetValue(_partition)), ("--time", parseResult.GetValue(_time)), ("--mem", parseResult.GetValue(_mem)),
            ("--account", parseResult.GetValue(_account)), ("--qos", parseResult.GetValue(_qos)), ("--signal", parseResult.GetValue(_signal)) })
        {
            if (value is not null && (value.Length is 0 or > 256 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or ':' or '@' or '%' or '+' or '=' or '/')))
            {
                throw new UserException($"{option}: '{InputLimits.Quote(value)}' is not a Slurm value; expected letters, digits and _-.,:@%+=/ (one word, no spaces or line breaks)");
            }
        }
        foreach (var extra in parseResult.GetValue(_extra) ?? [])
        {
            if (!extra.StartsWith('-') || extra.Length > 1024 || extra.Any(char.IsControl))
            {
                throw new UserException($"--extra-sbatch: '{InputLimits.Quote(extra)}' is not an sbatch option; expected one option on one line, such as --constraint=avx512");
            }
        }
    }

    private static void Optional(StringBuilder s, string option, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            s.Append(CultureInfo.InvariantCulture, $"#SBATCH {option}={value}\n");
        }
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
