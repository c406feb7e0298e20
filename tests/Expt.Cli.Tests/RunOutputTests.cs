namespace Expt.Cli.Tests;

/// <summary>What <c>expt run</c> prints around the trials: <c>-q</c> is quiet on a terminal too; the last line counts trials.</summary>
public sealed class RunOutputTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Quiet_on_a_terminal_draws_no_live_panel_but_keeps_failures_and_the_table()
    {
        _cli.Terminal = true;
        _cli.Write("study.yaml", "name: q\ncommand: sh -c 'test {x} != 3'\nparams:\n  x: [1, 2, 3]\n");
        var run = await _cli.RunAsync("run", "study.yaml", "-q");
        run.Exit.ShouldBe(1, run.Error);
        run.Out.ShouldNotContain("━"); // the bar of the live panel
        run.Out.ShouldNotContain("trials/s  elapsed");
        run.Out.ShouldContain("failed"); // the failed trial's line
        run.Out.ShouldContain("DONE"); // the final table
        run.Error.ShouldContain("2 completed, 1 failed, 0 not run; this run: 3 trials in");

        // Without -q the panel is drawn.
        _cli.Write("other.yaml", "name: other\ncommand: \"true\"\nparams:\n  x: [1]\n");
        (await _cli.RunAsync("run", "other.yaml")).Out.ShouldContain("━");
    }

    [Fact]
    public async Task This_run_counts_trials_and_says_how_many_attempts_were_retried()
    {
        _cli.Write("study.yaml", "name: r\ncommand: sh -c 'test \"$EXPT_ATTEMPT\" -gt 1'\nretries: 1\nparams:\n  x: [1, 2]\n");
        var run = await _cli.RunAsync("run", "study.yaml", "-q");
        run.Exit.ShouldBe(0, run.Error);
        run.Error.ShouldContain("2 completed, 0 failed, 0 not run; this run: 2 trials (4 attempts: 2 retried) in");
    }
}
