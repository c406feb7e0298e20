using System.Diagnostics;
using System.Globalization;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Storage.Postgres;
using Npgsql;

namespace Expt.Benchmarks;

/// <summary>
/// The shared store's hot paths against a real local PostgreSQL: a million trials enqueued, eight worker processes
/// claiming and completing trivial trials, and claim latency as the queue grows. The server is
/// <c>EXPT_BENCH_POSTGRES</c> (a connection string), or a throwaway one started with tests/scripts/postgres.sh.
/// </summary>
internal static class PostgresScenarios
{
    private static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    public static async Task RunAsync(string which)
    {
        var (server, stop) = await ServerAsync();
        try
        {
            switch (which)
            {
                case "pg-enqueue": await EnqueueAsync(server); break;
                case "pg-workers": await WorkersAsync(server); break;
                case "pg-claim": await ClaimLatencyAsync(server); break;
                case "pg-heartbeat": await HeartbeatsAsync(server); break;
                case "pg-claimers": await ClaimersAsync(server); break;
                case "slurm": await SlurmAsync(server); break;
                default: throw new ArgumentException($"unknown scenario {which}", nameof(which));
            }
        }
        finally
        {
            await stop();
        }
    }

    private static async Task<(string Server, Func<Task> Stop)> ServerAsync()
    {
        if (Environment.GetEnvironmentVariable("EXPT_BENCH_POSTGRES") is { Length: > 0 } given)
        {
            return (given, () => Task.CompletedTask);
        }
        var script = Path.Combine(Root(), "tests", "scripts", "postgres.sh");
        var dir = Path.Combine("/dev/shm", "expt-bench-pg-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var output = await ShellAsync("bash", script, "start", dir);
        return (output.Trim(), async () => await ShellAsync("bash", script, "stop", dir));
    }

    private static string Root()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Expt.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("run from the repository");
        }
        return root;
    }

    private static async Task<string> ShellAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed");
    }

    private static async Task<NpgsqlConnectionStringBuilder> SchemaAsync(string server)
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { SearchPath = schema };
    }

    private static async Task DropAsync(string server, NpgsqlConnectionStringBuilder store)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA {store.SearchPath} CASCADE; CHECKPOINT", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static StudySpec Spec(string name, int trials, string extra = "") =>
        StudySpecBinder.Bind(YamlConfigReader.Parse($"name: {name}\nparams:\n  i: range({trials})\n{extra}", "bench"), new BindOptions { DefaultExperiment = name, AllowLarge = true });

    /// <summary>1,000,000 trials planned and enqueued into a fresh PostgreSQL store (three rounds, the first cold).</summary>
    private static async Task EnqueueAsync(string server)
    {
        const int trials = 1_000_000;
        var samples = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            var schema = await SchemaAsync(server);
            var store = await PostgresStore.OpenAsync(schema, Path.GetTempPath());
            var total = Stopwatch.StartNew();
            var prepared = await StudyPreparation.PrepareAsync(store, Spec("enqueue", trials), null, requeueCancelled: false);
            total.Stop();
            var count = (await store.CountAsync(prepared.Study.Id)).Values.Sum();
            if (count != trials)
            {
                throw new InvalidOperationException($"{count} trials stored, expected {trials}");
            }
            Console.WriteLine($"pg-enqueue round {round}: {trials:N0} trials planned and enqueued in {F(total.Elapsed.TotalSeconds, "0.00")} s ({F(trials / total.Elapsed.TotalSeconds, "0")} trials/s)");
            await store.DisposeAsync();
            await DropAsync(server, schema);
            if (round > 0)
            {
                samples.Add(total.Elapsed.TotalSeconds);
            }
        }
        Console.WriteLine($"pg-enqueue: median {F(samples.Order().ElementAt(samples.Count / 2), "0.00")} s for 1,000,000 trials (warm rounds: {string.Join(", ", samples.Select(s => F(s, "0.00")))})");
    }

    /// <summary>Eight worker processes (this program in worker mode) run 100,000 trivial trials from one PostgreSQL study.</summary>
    private static async Task WorkersAsync(string server)
    {
        const int trials = 100_000;
        const int workers = 8;
        var samples = new List<double>();
        var drains = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            var connection = await SchemaAsync(server);
            string studyId;
            await using (var store = await PostgresStore.OpenAsync(connection, Path.GetTempPath()))
            {
                studyId = (await StudyPreparation.PrepareAsync(store, Spec("workers", trials), null, requeueCancelled: false)).Study.Id;
            }
            var watch = Stopwatch.StartNew();
            var processes = Enumerable.Range(0, workers).Select(_ => Process.Start(new ProcessStartInfo("dotnet", [typeof(PostgresScenarios).Assembly.Location, "pg-worker", connection.ConnectionString, studyId])
            {
                RedirectStandardOutput = true,
            })!).ToList();
            var outputs = await Task.WhenAll(processes.Select(async p =>
            {
                var text = await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                return text;
            }));
            watch.Stop();
            var completedByWorkers = outputs.Sum(o => int.Parse(o.Trim(), CultureInfo.InvariantCulture));
            await using var check = new NpgsqlConnection(connection.ConnectionString);
            await check.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT COUNT(*) FILTER (WHERE status = 'completed'), COUNT(DISTINCT key), MAX(attempts), COUNT(*), extract(epoch FROM MAX(finished) - MIN(started))::float8 FROM trials", check);
            await using var reader = await query.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (completed, keys, maxAttempts, rows, drain) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetDouble(4));
            var duplicates = completedByWorkers - completed;
            if (completed != trials || keys != trials || rows != trials || maxAttempts != 1 || duplicates != 0)
            {
                throw new InvalidOperationException($"completed {completed}, keys {keys}, rows {rows}, max attempts {maxAttempts}, completions reported by workers {completedByWorkers}");
            }
            await check.CloseAsync();
            await DropAsync(server, connection);
            // Two clocks: the processes' (start to the last exit, which includes the last workers waiting for the
            // stragglers of others) and the trials' (the first start to the last finish, from the store).
            Console.WriteLine($"pg-workers round {round}: {workers} worker processes, {trials:N0} trivial trials in {F(watch.Elapsed.TotalSeconds, "0.00")} s = {F(trials / watch.Elapsed.TotalSeconds, "0")} trials/s " +
                $"(process start to last exit); first start to last finish {F(drain, "0.00")} s = {F(trials / drain, "0")} trials/s; {completed:N0} completed once each, every attempt count 1, duplicates {duplicates}");
            if (round > 0)
            {
                samples.Add(trials / watch.Elapsed.TotalSeconds);
                drains.Add(trials / drain);
            }
        }
        Console.WriteLine($"pg-workers: median {F(samples.Order().ElementAt(samples.Count / 2), "0")} trials/s to the last exit (warm rounds: {string.Join(", ", samples.Select(s => F(s, "0")))}); " +
            $"{F(drains.Order().ElementAt(drains.Count / 2), "0")} trials/s first start to last finish (warm rounds: {string.Join(", ", drains.Select(s => F(s, "0")))})");
    }

    /// <summary>Worker mode for <see cref="WorkersAsync"/>: runs trivial trials until none is left, prints how many it completed.</summary>
    public static async Task<int> WorkerAsync(string connectionString, string studyId)
    {
        // EXPT_BENCH_OPS: operations at once per worker process (connections; default the store's own, 1).
        var operations = int.TryParse(Environment.GetEnvironmentVariable("EXPT_BENCH_OPS"), out var ops) ? ops : PostgresStore.DefaultOperations;
        await using var store = await PostgresStore.OpenAsync(new NpgsqlConnectionStringBuilder(connectionString), Path.GetTempPath(), operations);
        var executor = new InProcessExecutor(trial => Task.FromResult<object?>(trial.Get<long>("i") * 2), null);
        var report = await new Worker(store, _ => executor, new WorkerOptions { StudyId = studyId, Slots = 2 }).RunAsync(default, default);
        Console.WriteLine(report.Completed.ToString(CultureInfo.InvariantCulture));
        return report.Refused == 0 ? 0 : 1;
    }

    /// <summary>
    /// A 200-trial study (0.2 s each) submitted as a job array of 4 workers to the local Slurm (tests/scripts/slurm.sh
    /// start): time from <c>expt slurm submit</c> to the first trial running, and to the last one done; ideal 10 s.
    /// </summary>
    private static async Task SlurmAsync(string server)
    {
        var expt = Path.Combine(AppContext.BaseDirectory, "expt.dll");
        for (var round = 0; round < 4; round++)
        {
            var schema = await SchemaAsync(server);
            var dir = Directory.CreateTempSubdirectory("expt-bench-slurm-").FullName;
            var credentials = Path.Combine(dir, "pgpass");
            await File.WriteAllTextAsync(credentials, schema.Password + "\n");
            await File.WriteAllTextAsync(Path.Combine(dir, "study.yaml"), $"name: slurm{round}\ncommand: sleep 0.2\nparams:\n  x: range(200)\n");
            var store = new NpgsqlConnectionStringBuilder(schema.ConnectionString) { Password = null }.ConnectionString;
            var watch = Stopwatch.StartNew();
            using (var submit = Process.Start(new ProcessStartInfo("dotnet", [expt, "slurm", "submit", "study.yaml", "--workers", "4", "--store", store, "--credentials", credentials]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                await submit.WaitForExitAsync();
                if (submit.ExitCode != 0)
                {
                    throw new InvalidOperationException(await submit.StandardError.ReadToEndAsync());
                }
            }
            var submitted = watch.Elapsed;
            TimeSpan? first = null;
            await using var check = new NpgsqlConnection(schema.ConnectionString);
            await check.OpenAsync();
            while (true)
            {
                await using var query = new NpgsqlCommand("SELECT COUNT(*) FILTER (WHERE status <> 'pending'), COUNT(*) FILTER (WHERE status = 'completed') FROM trials", check);
                await using var reader = await query.ExecuteReaderAsync();
                await reader.ReadAsync();
                var (started, completed) = (reader.GetInt64(0), reader.GetInt64(1));
                first ??= started > 0 ? watch.Elapsed : null;
                if (completed == 200)
                {
                    break;
                }
                await Task.Delay(20);
            }
            var total = watch.Elapsed;
            Console.WriteLine($"slurm round {round}: submit returned after {F(submitted.TotalSeconds, "0.00")} s, first trial running after {F(first!.Value.TotalSeconds, "0.00")} s, " +
                $"200 trials done after {F(total.TotalSeconds, "0.00")} s (ideal 10.00 s for 200 x 0.2 s on 4 workers: {F(total.TotalSeconds / 10 * 100, "0")}% of ideal)");
            await check.CloseAsync();
            await DropAsync(server, schema);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Claim latency (claims of 1 and of 100 trials, median of 200 after 20 warm-up claims) with 10,000 and with
    /// 1,000,000 trials pending: by count alone, and with resources (trials needing a core and 1 GiB, half of them a
    /// GPU, claimed by a worker of 16 cores, 64 GiB and 2 GPUs, so the packing and its filter are measured).
    /// </summary>
    private static async Task ClaimLatencyAsync(string server)
    {
        foreach (var pending in new[] { 10_000, 1_000_000 })
        {
            foreach (var resources in new[] { false, true })
            {
                var schema = await SchemaAsync(server);
                await using var store = await PostgresStore.OpenAsync(schema, Path.GetTempPath());
                var extra = resources ? "resources:\n  cpus: 1\n  memory: 1G\n" : string.Empty;
                var study = (await StudyPreparation.PrepareAsync(store, Spec("claims", pending, extra), null, requeueCancelled: false)).Study;
                if (resources)
                {
                    // Every other trial in the queue needs a GPU as well.
                    await using var mix = NpgsqlDataSource.Create(schema);
                    await using var update = mix.CreateCommand("UPDATE trials SET gpu_milli = CASE WHEN seq % 2 = 0 THEN 1000 ELSE 0 END");
                    await update.ExecuteNonQueryAsync();
                }
                var worker = WorkerIdentity.ForThisProcess();
                var total = new Resources.TrialNeeds(16, 64L << 30, 2000);
                foreach (var batch in new[] { 1, 100 })
                {
                    var latencies = new List<double>();
                    for (var i = 0; i < 220; i++)
                    {
                        var budget = resources ? new Resources.ResourceBudget(16, 64L << 30, [1000, 1000], total) : null;
                        var watch = Stopwatch.StartNew();
                        var leases = await store.ClaimAsync(new ClaimRequest(worker, batch, TimeSpan.FromSeconds(30), study.Id) { Budget = budget });
                        watch.Stop();
                        // Given back at once, so the queue keeps its size for every measured claim.
                        await store.ReleaseAsync(leases, ReleaseMode.Requeue);
                        if (i >= 20)
                        {
                            latencies.Add(watch.Elapsed.TotalMilliseconds);
                        }
                    }
                    latencies.Sort();
                    Console.WriteLine($"pg-claim: {pending,9:N0} pending, batch {batch,3}{(resources ? ", resources" : string.Empty)}: median {F(latencies[latencies.Count / 2], "0.00")} ms, p95 {F(latencies[(int)(latencies.Count * 0.95)], "0.00")} ms per claim");
                }
                await DropAsync(server, schema);
            }
        }
    }

    /// <summary>
    /// What a thousand workers' heartbeats cost: 1,000 workers holding 8 trials each (8,000 running of 20,000), one
    /// heartbeat (one statement for a worker's 8 leases) at a time and from 4 connections at once; the table's and its
    /// indexes' growth after 100,000 renewed leases, and what autovacuum gives back.
    /// </summary>
    private static async Task HeartbeatsAsync(string server)
    {
        const int workers = 1_000, held = 8;
        var schema = await SchemaAsync(server);
        await using var store = await PostgresStore.OpenAsync(schema, Path.GetTempPath());
        var study = (await StudyPreparation.PrepareAsync(store, Spec("heartbeats", 20_000), null, requeueCancelled: false)).Study;
        var leases = new List<IReadOnlyList<TrialLease>>();
        for (var w = 0; w < workers; w++)
        {
            var identity = new WorkerIdentity($"w{w}", "bench-host", 10_000 + w);
            leases.Add(await store.ClaimAsync(new ClaimRequest(identity, held, TimeSpan.FromMinutes(30), study.Id)));
        }
        await using var data = NpgsqlDataSource.Create(schema);
        async Task<string> SizesAsync()
        {
            await using var command = data.CreateCommand(
                "SELECT string_agg(c.relname || ' ' || pg_size_pretty(pg_relation_size(c.oid)), ', ' ORDER BY c.relname) FROM pg_class c " +
                "WHERE c.relnamespace = current_schema()::regnamespace AND (c.relname = 'trials' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'trials'::regclass))");
            return (string)(await command.ExecuteScalarAsync())!;
        }
        Console.WriteLine($"pg-heartbeat: {workers:N0} workers x {held} running trials; sizes before: {await SizesAsync()}");
        var latencies = new List<double>();
        for (var i = 0; i < 2_200; i++)
        {
            var watch = Stopwatch.StartNew();
            await store.HeartbeatAsync(leases[i % workers], TimeSpan.FromMinutes(30));
            if (i >= 200)
            {
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        latencies.Sort();
        Console.WriteLine($"pg-heartbeat: one heartbeat of {held} leases, one at a time: median {F(latencies[latencies.Count / 2], "0.00")} ms, p95 {F(latencies[(int)(latencies.Count * 0.95)], "0.00")} ms");
        // Four processes' worth of connections renewing at once, for 10 s: what the server sustains.
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresStore.OpenAsync(schema, Path.GetTempPath())));
        var count = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(stores.Select((s, k) => Task.Run(async () =>
        {
            for (var i = k; clock.Elapsed < TimeSpan.FromSeconds(10); i += 4)
            {
                await s.HeartbeatAsync(leases[i % workers], TimeSpan.FromMinutes(30));
                Interlocked.Increment(ref count);
            }
        })));
        var perSecond = count / clock.Elapsed.TotalSeconds;
        foreach (var s in stores)
        {
            await s.DisposeAsync();
        }
        Console.WriteLine($"pg-heartbeat: 4 connections at once: {F(perSecond, "0")} heartbeats/s ({F(perSecond * held, "0")} leases renewed/s); 1,000 workers beating every 10 s need 100/s ({F(100 / perSecond * 100, "0.0")}% of that), 10,000 need 1,000/s ({F(1000 / perSecond * 100, "0.0")}%)");
        await using (var stats = data.CreateCommand("SELECT pg_stat_force_next_flush(); SELECT n_tup_upd, n_tup_hot_upd, n_dead_tup FROM pg_stat_user_tables WHERE relid = 'trials'::regclass"))
        await using (var r = await stats.ExecuteReaderAsync())
        {
            await r.NextResultAsync();
            await r.ReadAsync();
            Console.WriteLine($"pg-heartbeat: trials rows updated {r.GetInt64(0):N0} (HOT, no index entry: {r.GetInt64(1):N0}), dead row versions {r.GetInt64(2):N0}; sizes after: {await SizesAsync()}");
        }
        await using (var vacuum = data.CreateCommand("VACUUM trials"))
        {
            await vacuum.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"pg-heartbeat: after VACUUM (what autovacuum does on its own): {await SizesAsync()} (space is reused, not returned)");
        await DropAsync(server, schema);
    }

    /// <summary>
    /// Hundreds of claimers on one table: 200 stores (EXPT_BENCH_CLAIMERS) (one connection each, as 200 worker processes would hold) claim one
    /// trial at a time and complete it, until 20,000 trials are done. Claim latency, throughput, and how evenly the
    /// trials were shared out.
    /// </summary>
    private static async Task ClaimersAsync(string server)
    {
        var claimers = int.TryParse(Environment.GetEnvironmentVariable("EXPT_BENCH_CLAIMERS"), out var n) ? n : 200;
        const int trials = 20_000;
        var schema = await SchemaAsync(server);
        string studyId;
        await using (var filler = await PostgresStore.OpenAsync(schema, Path.GetTempPath()))
        {
            studyId = (await StudyPreparation.PrepareAsync(filler, Spec("claimers", trials), null, requeueCancelled: false)).Study.Id;
        }
        var stores = await Task.WhenAll(Enumerable.Range(0, claimers).Select(_ => PostgresStore.OpenAsync(schema, Path.GetTempPath())));
        var latencies = new List<double>[claimers];
        var counts = new int[claimers];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(stores.Select((store, k) => Task.Run(async () =>
        {
            latencies[k] = [];
            var identity = WorkerIdentity.ForThisProcess() with { Pid = 20_000 + k };
            while (true)
            {
                var watch = Stopwatch.StartNew();
                var leases = await store.ClaimAsync(new ClaimRequest(identity, 1, TimeSpan.FromMinutes(5), studyId));
                latencies[k].Add(watch.Elapsed.TotalMilliseconds);
                if (leases.Count == 0)
                {
                    return;
                }
                await store.CompleteAsync([new TrialCompletion(leases[0], new TrialOutcome(Trials.TrialStatus.Completed, TimeSpan.Zero, "{}"))]);
                counts[k]++;
            }
        })));
        clock.Stop();
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        var all = latencies.SelectMany(l => l).Order().ToList();
        var sorted = counts.Order().ToList();
        await using var data = NpgsqlDataSource.Create(schema);
        await using var check = data.CreateCommand("SELECT COUNT(*) FILTER (WHERE status = 'completed'), COUNT(*) FILTER (WHERE attempts <> 1) FROM trials");
        await using var r = await check.ExecuteReaderAsync();
        await r.ReadAsync();
        Console.WriteLine($"pg-claimers: {claimers} claimers (a connection each), {trials:N0} trials claimed one at a time and completed in {F(clock.Elapsed.TotalSeconds, "0.0")} s ({F(trials / clock.Elapsed.TotalSeconds, "0")} trials/s); completed {r.GetInt64(0):N0}, with more than one attempt {r.GetInt64(1)}, claims reported - trials = {counts.Sum() - trials}");
        Console.WriteLine($"pg-claimers: claim latency median {F(all[all.Count / 2], "0.0")} ms, p95 {F(all[(int)(all.Count * 0.95)], "0.0")} ms, p99 {F(all[(int)(all.Count * 0.99)], "0.0")} ms; trials per claimer min {sorted[0]}, median {sorted[claimers / 2]}, max {sorted[^1]} (even share {trials / claimers})");
        await r.DisposeAsync();
        await DropAsync(server, schema);
    }
}
