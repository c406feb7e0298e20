using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// An enqueue killed half-way (kill -9 during <c>expt run --enqueue-only</c>) is not taken for the whole study:
/// <c>studies</c>, <c>status</c>, <c>worker</c> and <c>doctor</c> say where it stopped, and running the same command
/// again finishes it. Real process, real SIGKILL.
/// </summary>
[Trait("Category", "Slow")]
public sealed class EnqueueInterruptionTests : IDisposable
{
    private const int Planned = 200_000;
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private long Trials()
    {
        var path = Path.Combine(_cli.Directory, ".expt", "expt.db");
        if (!File.Exists(path))
        {
            return 0;
        }
        try
        {
            using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM trials";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created yet
        }
    }

    [Fact]
    public async Task A_killed_enqueue_is_reported_where_it_stopped_and_finished_by_running_again()
    {
        string[] enqueue = ["run", "--name", "big", "--set", $"x=range({Planned})", "--enqueue-only", "--", "true"];
        using (var process = _cli.Start(enqueue))
        {
            await ExptCli.WaitUntilAsync(() => Trials() > 0 || process.HasExited, TimeSpan.FromMinutes(2), "the first batch of trials");
            process.Kill();
            await process.WaitForExitAsync();
        }
        var present = Trials();
        present.ShouldBeInRange(1, Planned - 1, "the enqueue was cut short");

        var studies = await _cli.RunAsync("studies");
        studies.ExitCode.ShouldBe(0, studies.ToString());
        studies.Stderr.ShouldContain($"warning: big: enqueue interrupted at {present:N0} of {Planned:N0} trials (expt run on {Environment.MachineName}); run it again to finish");
        var json = (await _cli.RunAsync("studies", "--format", "json")).Json().EnumerateArray().Single().GetProperty("enqueue");
        json.GetProperty("state").GetString().ShouldBe("interrupted");
        json.GetProperty("present").GetInt64().ShouldBe(present);
        json.GetProperty("expected").GetInt64().ShouldBe(Planned);
        var status = await _cli.RunAsync("status", "big", "--once");
        status.Stdout.ShouldContain($"enqueue interrupted at {present:N0} of {Planned:N0} trials");
        (await _cli.RunAsync("status", "big", "--format", "json")).Json().GetProperty("enqueue").GetProperty("state").GetString().ShouldBe("interrupted");
        var doctor = await _cli.RunAsync("doctor");
        doctor.Stdout.ShouldContain("enqueue interrupted");

        var again = await _cli.RunAsync(enqueue);
        again.ExitCode.ShouldBe(0, again.ToString());
        again.Stderr.ShouldContain($"finished an earlier enqueue that had stopped at {present:N0} of {Planned:N0} trials ({Planned - present:N0} added now)");
        Trials().ShouldBe(Planned);
        var after = await _cli.RunAsync("studies", "--format", "json");
        after.Json().EnumerateArray().Single().GetProperty("enqueue").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        (await _cli.RunAsync("studies")).Stderr.ShouldNotContain("enqueue");
    }
}
