namespace Expt.Cli.Tests;

/// <summary>PyExperimenter's table with a keyfield named <c>seed</c>: added, filtered, exported without a clash; errors in CSV.</summary>
public sealed class KeyfieldTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_parameter_named_seed_is_added_filtered_and_exported_under_its_own_name()
    {
        _cli.Write("table.yaml", "name: pe\nshell: true\ncommand: 'test {dataset} != bad'\nparams:\n  dataset: []\n  seed: []\npoints: []\n");
        (await _cli.RunAsync("run", "table.yaml", "-q")).Exit.ShouldBe(0);
        var add = await _cli.RunAsync("add", "pe", "--set", "dataset=iris,bad", "--set", "seed=1,2");
        add.Exit.ShouldBe(0, add.Error);
        add.Error.ShouldContain("added 4 trials");
        (await _cli.RunAsync("run", "table.yaml", "-q")).Exit.ShouldBe(1); // the 'bad' rows fail

        var csv = await _cli.RunAsync("export", "pe", "--format", "csv");
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        header[..7].ShouldBe(["id", "study", "status", "dataset", "params.seed", "replicate", "seed"]);
        header.ShouldContain("error");
        header.Distinct().Count().ShouldBe(header.Length);
        lines.Count(l => l.Contains("exit code 1", StringComparison.Ordinal)).ShouldBe(2);

        var one = await _cli.RunAsync("ls", "--where", "params.seed == 1", "--format", "csv");
        one.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1 + 2);

        // Cancelled trials did not run: not "done".
        (await _cli.RunAsync("add", "pe", "--set", "dataset=wine", "--set", "seed=1,2")).Exit.ShouldBe(0);
        (await _cli.RunAsync("cancel", "pe")).Error.ShouldContain("cancelled 2 trials");
        var status = await _cli.RunAsync("status", "pe", "--once");
        status.Out.ShouldContain("6 trials, 4 done (66.7%): 2 completed, 2 failed, 2 cancelled (2 by hand), 0 running, 0 pending");
    }
}
