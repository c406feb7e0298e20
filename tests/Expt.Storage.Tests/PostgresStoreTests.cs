using System.Diagnostics;
using Expt.Storage.Postgres;
using Npgsql;

namespace Expt.Storage.Tests;

/// <summary>What only the PostgreSQL store does: notifications, concurrent schema creation, transient-fault retries.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private NpgsqlConnectionStringBuilder _connection = null!;

    public async Task InitializeAsync()
    {
        _connection = await PostgresStoreFactory.NewSchemaAsync();
        // Its own application name, so killing "its" connections never touches a test running beside it.
        _connection.ApplicationName = "expt-test-" + Guid.NewGuid().ToString("N")[..8];
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await PostgresStoreFactory.DropSchemaAsync(_connection.SearchPath!);
    }

    private Task<PostgresStore> OpenAsync() => PostgresStore.OpenAsync(_connection, Path.GetTempPath());

    [Theory]
    [InlineData("information_schema")]
    [InlineData("pg_catalog")]
    public async Task The_servers_own_schemas_are_never_written(string schema)
    {
        var connection = new NpgsqlConnectionStringBuilder(_connection.ConnectionString) { SearchPath = schema };
        var refused = await Should.ThrowAsync<StoreIncompatibleException>(() => PostgresStore.OpenAsync(connection, Path.GetTempPath()));
        refused.WrongTarget.ShouldBeTrue();
        refused.Message.ShouldBe($"the schema {schema} is PostgreSQL's own; Expt writes nothing there: name a schema of its own (?search_path=expt in the URL)");
        await using var look = new NpgsqlConnection(PostgresStoreFactory.ConnectionString);
        await look.OpenAsync();
        using var count = new NpgsqlCommand("SELECT COUNT(*) FROM pg_tables WHERE schemaname = @s AND tablename IN ('schema_migrations', 'studies', 'trials')", look);
        count.Parameters.AddWithValue("s", schema);
        ((long)(await count.ExecuteScalarAsync())!).ShouldBe(0);
    }

    [Fact]
    public async Task A_worker_holds_two_connections_whatever_its_slots()
    {
        await using var store = await OpenAsync();
        var spec = Spec.StudySpecBinder.Bind(Spec.YamlConfigReader.Parse("name: busy\nparams:\n  x: range(400)\n", "t.yaml"), new Spec.BindOptions { DefaultExperiment = "t" });
        var prepared = await Execution.StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: true);
        var executor = new Execution.InProcessExecutor(async t =>
        {
            t.Log("loss", t.Get<int>("x"));
            await Task.Delay(5);
            return new { y = t.Get<int>("x") };
        }, null);
        var options = new Execution.WorkerOptions { StudyId = prepared.Study.Id, Slots = 8, Heartbeat = TimeSpan.FromMilliseconds(100), CancelCheck = TimeSpan.FromMilliseconds(50) };
        var run = new Execution.Worker(store, _ => executor, options).RunAsync(default, default);
        // Claims, heartbeats, the cancellation watch, completions, metric batches and the listener, all at once
        // (with 8 operations allowed the same run holds 5 connections).
        var most = 0L;
        await using (var look = new NpgsqlConnection(PostgresStoreFactory.ConnectionString))
        {
            await look.OpenAsync();
            using var count = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = @a", look);
            count.Parameters.AddWithValue("a", _connection.ApplicationName!);
            while (!run.IsCompleted)
            {
                most = Math.Max(most, (long)(await count.ExecuteScalarAsync())!);
                await Task.Delay(10);
            }
        }
        (await run).Completed.ShouldBe(400);
        most.ShouldBeInRange(1, 2);
        store.Operations.ShouldBe(1);
    }

    [Fact]
    public async Task Workers_waiting_for_work_wake_up_when_trials_are_enqueued_elsewhere()
    {
        await using var waiter = await OpenAsync();
        await using var filler = await OpenAsync();
        var (study, _) = await filler.CreateStudyAsync(new StudyDefinition("notified", null, [], "{}", "fp", 1, null));
        // The first wait starts the listener; give it a moment to LISTEN before the notification is sent.
        await waiter.WaitForWorkAsync(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var waiting = waiter.WaitForWorkAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        waiting.IsCompleted.ShouldBeFalse();
        await filler.EnqueueAsync(study.Id, [new NewTrial("k1", 0, 0, "{}", 1, 1)]);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5)); // woken by NOTIFY, not by the 30 s timeout
    }

    [Fact]
    public async Task Many_processes_opening_a_new_database_at_once_create_the_schema_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OpenAsync()));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        await using var connection = new NpgsqlConnection(_connection.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM schema_migrations", connection);
        ((long)(await count.ExecuteScalarAsync())!).ShouldBe(PostgresMigrator.Scripts().Count); // each version applied once
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_as_unavailable_after_the_retry_window()
    {
        var nowhere = new NpgsqlConnectionStringBuilder(_connection.ConnectionString) { Port = 1, Timeout = 1 };
        var watch = Stopwatch.StartNew();
        var error = await Should.ThrowAsync<StoreUnavailableException>(() => PostgresStore.OpenAsync(nowhere, Path.GetTempPath()));
        error.Message.ShouldContain("unreachable");
        error.Message.ShouldNotContain(_connection.Password!);
        watch.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(5)); // it retried
    }

    [Fact]
    public async Task Terminated_connections_are_retried_transparently()
    {
        await using var store = await OpenAsync();
        var (study, _) = await store.CreateStudyAsync(new StudyDefinition("killed-connections", null, [], "{}", "fp", 1, null));
        await store.EnqueueAsync(study.Id, [new NewTrial("k1", 0, 0, "{}", 1, 1)]);
        // Kill every server connection of this store, as a restart or a failover would.
        await using (var admin = new NpgsqlConnection(PostgresStoreFactory.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @app", admin);
            kill.Parameters.AddWithValue("app", _connection.ApplicationName!);
            ((long)(await kill.ExecuteScalarAsync())!).ShouldBeGreaterThan(0);
        }
        (await store.CountAsync(study.Id))[Trials.TrialStatus.Pending].ShouldBe(1);
    }

    [Fact]
    public async Task Artifacts_of_trials_run_on_another_machine_come_from_the_store()
    {
        var machineA = Directory.CreateTempSubdirectory("expt-a-").FullName;
        var machineB = Directory.CreateTempSubdirectory("expt-b-").FullName;
        try
        {
            await using (var store = await PostgresStore.OpenAsync(_connection, machineA))
            {
                var spec = Spec.StudySpecBinder.Bind(Spec.YamlConfigReader.Parse("name: arts\nparams:\n  x: range(2)\n", "t.yaml"), new Spec.BindOptions { DefaultExperiment = "t" });
                var prepared = await Execution.StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: false);
                var executor = new Execution.InProcessExecutor(trial =>
                {
                    trial.SaveArtifact("plot.svg", $"<svg>{trial.Get<int>("x")}</svg>");
                    return Task.FromResult<object?>(new { x = trial.Get<int>("x") });
                }, null);
                var report = await new Execution.Worker(store, _ => executor, new Execution.WorkerOptions { StudyId = prepared.Study.Id, Slots = 2, KeepFilesUpTo = 1 << 20 }).RunAsync(default, default);
                report.Completed.ShouldBe(2);
            }
            await using var elsewhere = await PostgresStore.OpenAsync(_connection, machineB);
            var results = await Analysis.StudyResults.LoadAsync(elsewhere, "arts");
            results.Artifacts("*.svg").SelectMany(g => g.Files).ShouldBeEmpty(); // nothing on this machine yet
            var files = (await results.ArtifactsAsync("*.svg", ["x"])).ToList();
            files.Count.ShouldBe(2);
            files.ShouldAllBe(g => g.Files.Count == 1 && g.Files[0].StartsWith(machineB, StringComparison.Ordinal));
            (await File.ReadAllTextAsync(files[1].Files[0])).ShouldBe("<svg>1</svg>");
        }
        finally
        {
            Directory.Delete(machineA, recursive: true);
            Directory.Delete(machineB, recursive: true);
        }
    }
}
