using Npgsql;

namespace Expt.EndToEnd.Tests;

/// <summary>A PostgreSQL server at its connection limit, as a big job array meets it: workers wait, nothing fails.</summary>
[Trait("Category", "Slow")]
public sealed class ConnectionLimitTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_worker_that_finds_the_server_full_waits_holding_nothing_and_runs_when_a_slot_frees()
    {
        await using var server = await Postgres.StartDedicatedAsync();
        await Postgres.ExecuteAsync(server.Server, "ALTER SYSTEM SET max_connections = 6; ALTER SYSTEM SET superuser_reserved_connections = 0");
        await server.RestartAsync();
        var store = await server.NewStoreAsync();
        _cli.Write("study.yaml", "name: full\ncommand: \"true\"\nparams:\n  x: range(20)\nretries: 0\n");
        var fill = await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only");
        fill.ExitCode.ShouldBe(0, fill.ToString());

        // Take every connection the server allows.
        var held = new List<NpgsqlConnection>();
        try
        {
            while (true)
            {
                var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.Server) { Pooling = false }.ConnectionString);
                try
                {
                    await connection.OpenAsync();
                }
                catch (PostgresException ex) when (ex.SqlState == "53300")
                {
                    await connection.DisposeAsync();
                    break;
                }
                held.Add(connection);
            }
            held.Count.ShouldBeGreaterThan(0); // with this process's own pooled connections, the server is full
            using var worker = _cli.Start("worker", "--store", store, "--study", "full", "-j", "2");
            // Longer than the store's own retry window (10 s): the worker would have given up by now.
            await Task.Delay(15_000);
            worker.HasExited.ShouldBeFalse();
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
            held.Clear();
            var result = await ExptCli.WaitAsync(worker, TimeSpan.FromMinutes(2));
            result.ExitCode.ShouldBe(0, result.ToString());
            result.Stderr.ShouldContain("waiting for the store");
            result.Stderr.ShouldContain("sorry, too many clients already");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
        (await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trials WHERE status = 'completed' AND attempts = 1")).ShouldBe(20);
    }
}
