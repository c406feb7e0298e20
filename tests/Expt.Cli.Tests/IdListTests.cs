namespace Expt.Cli.Tests;

/// <summary><c>--id A B</c> (as the help shows it) and <c>--id A --id B</c> mean the same trials in cancel, retry and rm.</summary>
public sealed class IdListTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<Dictionary<string, string>> StatusByIdAsync()
    {
        var (exit, output, error) = await _cli.RunAsync("ls", "--format", "csv");
        exit.ShouldBe(0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        int id = Array.IndexOf(header, "id"), status = Array.IndexOf(header, "status");
        return lines.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[id], f => f[status]);
    }

    [Fact]
    public async Task Several_ids_after_one_flag_are_all_ids()
    {
        _cli.Write("study.yaml", "name: s\ncommand: \"true\"\nparams:\n  x: [1, 2, 3, 4]\n");
        (await _cli.RunAsync("run", "study.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        var ids = (await StatusByIdAsync()).Keys.Order(StringComparer.Ordinal).ToArray();

        var cancel = await _cli.RunAsync("cancel", "--id", ids[0], ids[1]);
        cancel.Exit.ShouldBe(0, cancel.Error);
        cancel.Error.ShouldContain("cancelled 2 trials");
        var after = await StatusByIdAsync();
        after.Count(kv => kv.Value == "cancelled").ShouldBe(2);
        after[ids[0]].ShouldBe("cancelled");
        after[ids[1]].ShouldBe("cancelled");
        // Cancelled trials are counted as cancelled, not as pending.
        var studies = await _cli.RunAsync("studies", "--format", "csv");
        var rows = studies.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        rows[0].ShouldStartWith("study,tags,trials,completed,failed,running,pending,cancelled,");
        rows[1].ShouldStartWith("s,,4,0,0,0,2,2,");

        var retry = await _cli.RunAsync("retry", "s", "--status", "cancelled", "--id", ids[0], ids[1]);
        retry.Exit.ShouldBe(0, retry.Error);
        (await StatusByIdAsync()).Values.ShouldAllBe(s => s == "pending");

        var rm = await _cli.RunAsync("rm", "--id", ids[2], ids[3], "--yes");
        rm.Exit.ShouldBe(0, rm.Error);
        (await StatusByIdAsync()).Keys.Order(StringComparer.Ordinal).ShouldBe([ids[0], ids[1]]);
    }
}
