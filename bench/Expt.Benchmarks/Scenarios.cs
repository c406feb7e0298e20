using System.Diagnostics;
using System.Globalization;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage.Sqlite;

namespace Expt.Benchmarks;

/// <summary>End-to-end measurements: whole studies, timed from the outside.</summary>
internal static class Scenarios
{
    public static async Task<int> RunAsync(string[] args)
    {
        var which = args.Length > 0 ? args : ["scheduler", "commands", "cpu", "store", "metrics"];
        foreach (var name in which)
        {
            switch (name)
            {
                case "scheduler": await SchedulerAsync(); break;
                case "commands": await CommandsAsync(); break;
                case "cpu": await CpuAsync(); break;
                case "store": await StoreAsync(); break;
                case "metrics": await MetricsAsync(); break;
                case "scale": await ScaleAsync(); break;
                case "pg-enqueue" or "pg-workers" or "pg-claim" or "pg-heartbeat" or "pg-claimers" or "slurm": await PostgresScenarios.RunAsync(name); break;
                case "mpi": await MpiAsync(); break;
                case "dashboard": await DashboardScenario.RunAsync(Record); break;
                case "hostile": await HostileScenario.RunAsync(); break;
                case "resources": await ResourceScenarios.RunAsync(Record); break;
                case "adaptive": await AdaptiveScenario.RunAsync(Record); break;
                default: Console.Error.WriteLine($"unknown scenario {name}; expected scheduler, commands, cpu, store, metrics, scale, dashboard, hostile, resources, mpi, slurm, pg-enqueue, pg-workers, pg-claim, pg-heartbeat or pg-claimers"); return 2;
            }
            PrintMedians();
        }
        return 0;
    }

    /// <summary>Measured rounds after a first, cold one (JIT, file cache), which is printed but left out of the median.</summary>
    internal const int Rounds = 5;

    private static readonly Dictionary<string, List<double>> Samples = [];

    private static void Record(string name, int round, double value)
    {
        if (round == 0)
        {
            return;
        }
        if (!Samples.TryGetValue(name, out var list))
        {
            Samples[name] = list = [];
        }
        list.Add(value);
    }

    private static void PrintMedians()
    {
        foreach (var (name, values) in Samples)
        {
            var sorted = values.Order().ToList();
            Console.WriteLine($"median of {sorted.Count} warm rounds: {name} = {F(sorted[sorted.Count / 2], "0.###")} (min {F(sorted[0], "0.###")}, max {F(sorted[^1], "0.###")})");
        }
        Samples.Clear();
    }

    internal static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    private static StudySpec Spec(string name, int trials, int parallel) =>
        StudySpecBinder.Bind(YamlConfigReader.Parse($"name: {name}\nparams:\n  i: range({trials})\nparallel: {parallel}\n", "bench"), new BindOptions { DefaultExperiment = name });

    /// <summary>10,000 trivial in-process C# trials tracked in a fresh SQLite store.</summary>
    private static async Task SchedulerAsync()
    {
        const int trials = 10_000;
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            await using (var store = await SqliteStore.OpenAsync(Path.Combine(dir, "expt.db")))
            {
                var spec = Spec("scheduler", trials, Environment.ProcessorCount);
                var total = Stopwatch.StartNew();
                var prepared = await StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: false);
                var enqueued = total.Elapsed;
                var executor = new InProcessExecutor(trial => Task.FromResult<object?>(trial.Get<long>("i") * 2), null);
                var run = Stopwatch.StartNew();
                var report = await new Worker(store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = spec.EffectiveParallel }).RunAsync(default, default);
                run.Stop();
                total.Stop();
                if (report.Completed != trials)
                {
                    throw new InvalidOperationException($"only {report.Completed} trials completed");
                }
                Record("scheduler run trials/s", round, trials / run.Elapsed.TotalSeconds);
                Record("scheduler trials/s with enqueue", round, trials / total.Elapsed.TotalSeconds);
                Console.WriteLine($"scheduler round {round}: {trials} in-process trials, {spec.EffectiveParallel} slots: enqueue {F(enqueued.TotalSeconds)} s, " +
                    $"run {F(run.Elapsed.TotalSeconds)} s = {F(trials / run.Elapsed.TotalSeconds, "0")} trials/s; with enqueue {F(trials / total.Elapsed.TotalSeconds, "0")} trials/s");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>1,000 trials of `true` with -j 2 through the real CLI, against GNU parallel, in one run.</summary>
    private static async Task CommandsAsync()
    {
        var expt = Path.Combine(AppContext.BaseDirectory, "expt.dll");
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            var exptTime = await TimeAsync("dotnet", [expt, "run", "-q", "-j", "2", "--name", "true-1000", "--set", "i=range(1000)", "--", "true"], dir);
            var parallelTime = await TimeAsync("bash", ["-c", "parallel -j2 true ::: $(seq 1000)"], dir);
            Record("commands expt s", round, exptTime);
            Record("commands GNU parallel s", round, parallelTime);
            Record("commands ratio expt/parallel", round, exptTime / parallelTime);
            Console.WriteLine($"commands round {round}: 1000 x true, -j 2: expt {F(exptTime)} s (tracked in SQLite, logs captured), GNU parallel {F(parallelTime)} s, ratio expt/parallel {F(exptTime / parallelTime, "0.00")}");
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A store with 1,000,000 trials: a 900,000-trial study still pending and a 100,000-trial study completed with
    /// results. Times the CLI as a user runs it: <c>expt ls --study S --limit 20</c> and <c>expt summary</c>.
    /// </summary>
    /// <summary>Builds a finished study fast: claims and completes all its trials in batches, with these results.</summary>
    internal static async Task CompleteAllAsync(Expt.Storage.IExptStore store, string studyId, Func<Expt.Storage.TrialLease, string> results)
    {
        var worker = new Expt.Storage.WorkerIdentity("bench", "h", 1);
        while (true)
        {
            var leases = await store.ClaimAsync(new Expt.Storage.ClaimRequest(worker, 5000, TimeSpan.FromMinutes(5), studyId));
            if (leases.Count == 0)
            {
                return;
            }
            await store.CompleteAsync(leases.Select(l => new Expt.Storage.TrialCompletion(l, new Expt.Storage.TrialOutcome(Expt.Trials.TrialStatus.Completed,
                TimeSpan.FromMilliseconds(1), results(l)))).ToList());
        }
    }

    private static async Task ScaleAsync()
    {
        var dir = Directory.CreateTempSubdirectory("expt-scale-").FullName;
        var db = Path.Combine(dir, "expt.db");
        var clock = Stopwatch.StartNew();
        await using (var store = await SqliteStore.OpenAsync(db))
        {
            var big = StudySpecBinder.Bind(YamlConfigReader.Parse("name: big\ncommand: 'true'\nparams:\n  i: range(900000)\n", "bench"), new BindOptions());
            await StudyPreparation.PrepareAsync(store, big, null, requeueCancelled: false);
            var done = StudySpecBinder.Bind(YamlConfigReader.Parse("name: done\ncommand: 'true'\nparams:\n  lr: [0.1, 0.01, 0.001, 0.0001]\n  i: range(250)\nreplications: 100\n", "bench"), new BindOptions());
            var prepared = await StudyPreparation.PrepareAsync(store, done, null, requeueCancelled: false);
            await CompleteAllAsync(store, prepared.Study.Id, l => $$"""{"value":{{(l.Seed % 1000) / 1000.0}},"other":{{l.Replicate}}}""");
        }
        if (Environment.GetEnvironmentVariable("EXPT_BENCH_BUILD_ONLY") is not null)
        {
            Console.WriteLine($"scale: built {db}");
            return;
        }
        Console.WriteLine($"scale: built a store of 1,000,000 trials in {F(clock.Elapsed.TotalSeconds, "0.0")} s ({new FileInfo(db).Length / 1e6:0} MB)");
        // Measure what users run: the ReadyToRun build ./expt makes, when it exists.
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Expt.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/'));
        }
        var built = root is null ? null : Path.Combine(root, "artifacts", "cli", "expt.dll");
        var expt = built is not null && File.Exists(built) ? built : Path.Combine(AppContext.BaseDirectory, "expt.dll");
        Console.WriteLine($"scale: timing {expt}");
        for (var round = 0; round <= Rounds; round++)
        {
            var ls = await TimeAsync("dotnet", [expt, "ls", "--store", db, "--study", "big", "--limit", "20"], dir);
            var lsDone = await TimeAsync("dotnet", [expt, "ls", "--store", db, "--study", "done", "--status", "completed", "--limit", "20", "--format", "json"], dir);
            var version = await TimeAsync("dotnet", [expt, "--version"], dir);
            var summary = await TimeAsync("dotnet", [expt, "summary", "done", "--store", db, "--metric", "value"], dir);
            Record("scale: expt ls --study S --limit 20 (1M-trial store), s", round, ls);
            Record("scale: expt ls --study S --status completed --limit 20 --format json, s", round, lsDone);
            Record("scale: expt --version (process start only), s", round, version);
            Record("scale: expt summary of a 100,000-trial study (1,000 points x 100 replications), s", round, summary);
            Console.WriteLine($"scale round {round}: ls {F(ls)} s, ls completed json {F(lsDone)} s, summary {F(summary)} s, bare process start {F(version)} s");
        }
        if (Environment.GetEnvironmentVariable("EXPT_BENCH_KEEP") is null)
        {
            Directory.Delete(dir, recursive: true);
        }
        else
        {
            Console.WriteLine($"scale: kept {db}");
        }
    }

    /// <summary>One in-process trial logs 1,000,000 metric points; timed until they are all stored.</summary>
    private static async Task MetricsAsync()
    {
        const int points = 1_000_000;
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            await using (var store = await SqliteStore.OpenAsync(Path.Combine(dir, "expt.db")))
            {
                var spec = Spec("metrics", 1, 1);
                var prepared = await StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: false);
                var executor = new InProcessExecutor(trial =>
                {
                    for (var i = 0; i < points; i++)
                    {
                        trial.Log("loss", 1.0 / (i + 1), i);
                    }
                    return Task.FromResult<object?>(null);
                }, null);
                var clock = Stopwatch.StartNew();
                await new Worker(store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 1 }).RunAsync(default, default);
                clock.Stop();
                var trial = (await store.ListTrialsAsync(new Expt.Storage.TrialFilter { StudyId = prepared.Study.Id })).Single();
                var stored = (await store.GetMetricsAsync(trial.Id)).Count;
                if (stored != points)
                {
                    throw new InvalidOperationException($"stored {stored} points");
                }
                Record("metrics 1M points logged and stored, s", round, clock.Elapsed.TotalSeconds);
                Console.WriteLine($"metrics round {round}: {points} points from one trial logged and stored in {F(clock.Elapsed.TotalSeconds)} s");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The store's hot paths alone: enqueue, claim and complete 10,000 trials in batches.</summary>
    private static async Task StoreAsync()
    {
        const int trials = 10_000;
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            await using (var store = await SqliteStore.OpenAsync(Path.Combine(dir, "expt.db")))
            {
                var spec = Spec("store", trials, 2);
                var clock = Stopwatch.StartNew();
                var plan = Expt.Trials.TrialPlan.Create(spec);
                var planned = clock.Elapsed;
                var prepared = await StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: false);
                var enqueued = clock.Elapsed;
                var worker = new Expt.Storage.WorkerIdentity("bench", "h", 1);
                var leases = new List<Expt.Storage.TrialLease>();
                while (true)
                {
                    var batch = await store.ClaimAsync(new Expt.Storage.ClaimRequest(worker, 1000, TimeSpan.FromMinutes(1), prepared.Study.Id));
                    if (batch.Count == 0)
                    {
                        break;
                    }
                    leases.AddRange(batch);
                }
                var claimed = clock.Elapsed;
                foreach (var chunk in leases.Chunk(1000))
                {
                    await store.CompleteAsync(chunk.Select(l => new Expt.Storage.TrialCompletion(l, new Expt.Storage.TrialOutcome(Expt.Trials.TrialStatus.Completed, TimeSpan.FromMilliseconds(1), "{\"value\":1}"))).ToList());
                }
                var completed = clock.Elapsed;
                Record("store claim ms / 10k", round, (claimed - enqueued).TotalMilliseconds);
                Record("store complete ms / 10k", round, (completed - claimed).TotalMilliseconds);
                Record("store enqueue ms / 10k (plan included)", round, (enqueued - planned).TotalMilliseconds);
                Console.WriteLine($"store round {round}: plan {F(planned.TotalMilliseconds, "0")} ms, enqueue {F((enqueued - planned).TotalMilliseconds, "0")} ms (plan included: {plan.Count}), " +
                    $"claim {F((claimed - enqueued).TotalMilliseconds, "0")} ms, complete {F((completed - claimed).TotalMilliseconds, "0")} ms for {trials} trials in batches of 1000");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>400 trials of 10 ms of CPU each with 2 slots; the ideal is 2.0 s.</summary>
    private static async Task CpuAsync()
    {
        const int trials = 400;
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            await using (var store = await SqliteStore.OpenAsync(Path.Combine(dir, "expt.db")))
            {
                var spec = Spec("cpu", trials, 2);
                var clock = Stopwatch.StartNew();
                var prepared = await StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: false);
                var executor = new InProcessExecutor(trial =>
                {
                    var spin = Stopwatch.StartNew();
                    var x = 0.0;
                    while (spin.ElapsedTicks < Stopwatch.Frequency / 100)
                    {
                        x += Math.Sqrt(x + 1);
                    }
                    return Task.FromResult<object?>(x);
                }, null);
                await new Worker(store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2 }).RunAsync(default, default);
                clock.Stop();
                Record("cpu % of ideal", round, clock.Elapsed.TotalSeconds / 2.0 * 100);
                Console.WriteLine($"cpu round {round}: {trials} x 10 ms CPU, -j 2: {F(clock.Elapsed.TotalSeconds)} s, ideal 2.000 s, {F(clock.Elapsed.TotalSeconds / 2.0 * 100, "0.0")}% of ideal");
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// 10,000 trivial C# trials under mpiexec with 4 ranks (rank 0 coordinates, 3 run trials), as a process; the
    /// coordinator's cost per trial is the slope between 1,000 and 10,000 trials (the trials themselves cost nothing).
    /// </summary>
    private static async Task MpiAsync()
    {
        var self = typeof(Scenarios).Assembly.Location;
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-mpi-").FullName;
            var times = new Dictionary<int, double>();
            foreach (var trials in new[] { 1_000, 10_000 })
            {
                times[trials] = await TimeAsync("mpiexec", ["--allow-run-as-root", "--oversubscribe", "-n", "4", "-x", "TERM=dumb", "dotnet", self, "host", "run", "trivial", "--mpi",
                    "--set", $"i=range({trials})", "--store", $"s{trials}.db", "-q"], dir);
            }
            var perTrial = (times[10_000] - times[1_000]) / 9_000 * 1e6;
            Record("mpi trials/s (10,000 trials, 4 ranks, whole job)", round, 10_000 / times[10_000]);
            Record("mpi coordinator overhead per trial (us)", round, perTrial);
            Console.WriteLine($"mpi round {round}: 10,000 trivial trials on 4 ranks in {F(times[10_000])} s = {F(10_000 / times[10_000], "0")} trials/s (1,000 in {F(times[1_000])} s); {F(perTrial, "0")} us per trial");
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task<double> TimeAsync(string program, string[] args, string dir)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        clock.Stop();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {await stderr}{await stdout}");
        }
        return clock.Elapsed.TotalSeconds;
    }
}
