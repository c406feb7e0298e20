namespace Expt.Cli.Tests;

/// <summary><c>expt ls</c> filters and orders with the dashboard's engine (Core's TrialQuery): same keys, same errors.</summary>
public sealed class LsCommandTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<string[]> IdsByXAsync(params string[] args)
    {
        var (exit, output, error) = await _cli.RunAsync(["ls", .. args, "--format", "csv"]);
        exit.ShouldBe(0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var x = Array.IndexOf(lines[0].Split(','), "x");
        return [.. lines.Skip(1).Select(l => l.Split(',')[x])];
    }

    [Fact]
    public async Task Sorts_and_filters_as_the_dashboard_does_and_names_a_bad_key()
    {
        _cli.Write("study.yaml", """
            name: s
            shell: true
            command: 'echo "{\"loss\": $(( ({x} - 3) * ({x} - 3) )), \"tag\": \"t{x}\"}" > "$EXPT_RESULTS"'
            params:
              x: [1, 2, 3, 4, 5]
            """);
        var run = await _cli.RunAsync("run", "study.yaml", "-q");
        run.Exit.ShouldBe(0, run.Error);

        (await IdsByXAsync("--sort", "loss")).ShouldBe(["3", "2", "4", "1", "5"]); // ties keep plan order
        (await IdsByXAsync("--sort", "-p.x")).ShouldBe(["5", "4", "3", "2", "1"]);
        (await IdsByXAsync("--where", "loss >= 1 and x > 2", "--sort", "-loss")).ShouldBe(["5", "4"]);
        (await IdsByXAsync("--sort", "r.tag", "--limit", "2")).ShouldBe(["1", "2"]);

        var typo = await _cli.RunAsync("ls", "--sort", "los");
        typo.Exit.ShouldBe(2);
        typo.Error.Trim().ShouldStartWith("error: --sort: no listed trial has a result 'los' (did you mean 'loss'?)");
        // p. and r. keys are checked as bare ones are: a typo is an error, not an unsorted listing.
        var param = await _cli.RunAsync("ls", "--sort", "p.unknown");
        param.Exit.ShouldBe(2);
        param.Error.Trim().ShouldBe("error: --sort: no listed trial has a parameter 'unknown'; its parameters: x");
        var result = await _cli.RunAsync("ls", "--sort", "-r.tg");
        result.Exit.ShouldBe(2);
        result.Error.Trim().ShouldBe("error: --sort: no listed trial has a result 'tg' (did you mean 'r.tag'?); its results: loss, tag");
        var status = await _cli.RunAsync("ls", "--status", "complete");
        status.Exit.ShouldBe(2);
        status.Error.Trim().ShouldBe("error: --status: unknown status 'complete'; expected pending, running, completed, failed, timeout or cancelled");
        var best = await _cli.RunAsync("ls", "--sort", "best");
        best.Exit.ShouldBe(2);
        best.Error.ShouldContain("--sort best: study s declares no objective");
    }
}
