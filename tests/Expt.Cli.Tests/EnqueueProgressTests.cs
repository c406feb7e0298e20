using Microsoft.Data.Sqlite;

namespace Expt.Cli.Tests;

/// <summary>
/// An enqueue that did not finish is said as one, by who enqueued and where, and whether it still runs: an `expt add`
/// killed half-way (its start recorded, its end not, its process gone) is reported until the same add finishes it.
/// </summary>
public sealed class EnqueueProgressTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private void Sql(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_cli.Directory, ".expt", "expt.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task An_add_cut_short_is_reported_until_the_same_add_finishes_it()
    {
        _cli.Write("table.yaml", "name: table\ncommand: echo {x}\nparams:\n  x: []\npoints: []\n");
        (await _cli.RunAsync("run", "table.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        (await _cli.RunAsync("add", "table", "--set", "x=range(4)")).Exit.ShouldBe(0);
        (await _cli.RunAsync("studies")).Error.ShouldNotContain("enqueue");

        // What kill -9 leaves: the start of an add of 10 recorded, not its end; the process that wrote it gone.
        var host = Environment.MachineName.Replace("'", "''", StringComparison.Ordinal);
        Sql($"INSERT INTO study_events (study_id, kind, time, data) SELECT id, 'enqueue', 0, '{{\"state\":\"started\",\"expected\":10,\"exact\":true,\"by\":\"expt add\",\"host\":\"{host}\",\"pid\":2147483000,\"start\":1}}' FROM studies");
        var studies = await _cli.RunAsync("studies");
        studies.Exit.ShouldBe(0);
        studies.Error.Trim().ShouldBe($"warning: table: enqueue interrupted at 4 of 10 trials (expt add on {Environment.MachineName}); run it again to finish");
        var status = await _cli.RunAsync("status", "table", "--format", "json");
        status.Out.ShouldContain("\"state\": \"interrupted\"");

        // Another machine's: it cannot be told whether it runs, and says so.
        Sql("UPDATE study_events SET data = replace(data, '\"host\":\"" + host + "\"', '\"host\":\"elsewhere\"') WHERE kind = 'enqueue' AND data LIKE '%started%'");
        (await _cli.RunAsync("studies")).Error.ShouldContain("enqueue not finished: 4 of 10 trials (expt add on elsewhere, interrupted or still going)");

        // The same add, finished: nothing to say any more.
        var add = await _cli.RunAsync("add", "table", "--set", "x=range(10)");
        add.Exit.ShouldBe(0, add.Error);
        add.Error.ShouldContain("added 6 trials");
        (await _cli.RunAsync("studies")).Error.ShouldNotContain("enqueue");
    }
}
