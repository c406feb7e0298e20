using Npgsql;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// More worker processes than the server has connections for, as a job array meets it: directly (the workers beyond
/// the limit wait, holding nothing, and start as others leave) and through PgBouncer in transaction mode (its pool is
/// all the server sees). Every trial completes exactly once, none fails, no retry is used.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ManyWorkersTests : IDisposable
{
    private const int Workers = 12;
    private const int Trials = 96;
    private const int Limit = 10;
    private const int Pool = 3;
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task More_workers_than_server_connections_complete_every_trial_exactly_once(bool throughPgBouncer)
    {
        await using var server = await Postgres.StartDedicatedAsync();
        await Postgres.ExecuteAsync(server.Server, $"ALTER SYSTEM SET max_connections = {Limit}; ALTER SYSTEM SET superuser_reserved_connections = 0");
        await server.RestartAsync();
        var direct = await server.NewStoreAsync();
        await using var bouncer = throughPgBouncer ? await PgBouncerServer.StartAsync(server, Pool) : null;
        // The URL names no pooler: Expt finds PgBouncer at connection (it refuses a schema given there).
        var store = bouncer is null ? direct : new NpgsqlConnectionStringBuilder(bouncer.Server) { SearchPath = new NpgsqlConnectionStringBuilder(direct).SearchPath }.ConnectionString;
        _cli.Write("study.yaml", $"name: many\nshell: true\ncommand: sleep 0.4\nparams:\n  x: range({Trials})\nretries: 0\n");
        var fill = await _cli.RunAsync("run", "study.yaml", "--store", direct, "--enqueue-only");
        fill.ExitCode.ShouldBe(0, fill.ToString());

        // The test's own session samples the server's connections from Expt (through PgBouncer, its server connections).
        await using var sampler = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.Server) { Pooling = false }.ConnectionString);
        await sampler.OpenAsync();
        var workers = Enumerable.Range(0, Workers).Select(_ => _cli.Start("worker", "--store", store, "--study", "many", "-j", "1", "-q")).ToList();
        var exits = workers.Select(w => ExptCli.WaitAsync(w, TimeSpan.FromMinutes(4))).ToList();
        var peak = 0;
        var all = Task.WhenAll(exits);
        while (!all.IsCompleted)
        {
            await using var count = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name LIKE 'expt%'", sampler);
            peak = Math.Max(peak, (int)(await count.ExecuteScalarAsync())!);
            await Task.WhenAny(all, Task.Delay(20));
        }
        var results = await all;
        foreach (var result in results)
        {
            result.ExitCode.ShouldBe(0, result.ToString());
        }
        if (throughPgBouncer)
        {
            peak.ShouldBeInRange(1, Pool); // twelve workers, three server connections
        }
        else
        {
            peak.ShouldBeInRange(1, Limit - 1); // the sampler holds the last one
            // Twelve workers want more connections than there are: some waited for theirs instead of failing.
            results.ShouldContain(r => r.Stderr.Contains("waiting for the store", StringComparison.Ordinal), string.Join("\n", results.Select(r => r.Stderr)));
        }
        var rows = await Postgres.RowsAsync(direct, "SELECT status, attempts, COUNT(DISTINCT key)::int, COUNT(*)::int, COUNT(DISTINCT pid)::int FROM trials GROUP BY status, attempts");
        rows.Count.ShouldBe(1, string.Join("; ", rows.Select(r => string.Join(',', r))));
        ((string)rows[0][0], (int)rows[0][1], (int)rows[0][2], (int)rows[0][3]).ShouldBe(("completed", 1, Trials, Trials));
        ((int)rows[0][4]).ShouldBeGreaterThan(1); // shared out between workers
    }
}
