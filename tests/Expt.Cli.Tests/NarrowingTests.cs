namespace Expt.Cli.Tests;

/// <summary>
/// A study narrows as its file does: pending trials the file no longer plans are withdrawn (said, listed, never run)
/// and come back when the file widens again; trials cancelled by hand stay cancelled until <c>expt retry</c>.
/// </summary>
public sealed class NarrowingTests : IDisposable
{
    private const string Wide = "name: nar\nshell: true\ncommand: 'touch ran-{a}-{b}'\nparams:\n  a: [1, 2, 3]\n  b: [1, 2]\n";

    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private int Ran(int a) => Directory.GetFiles(_cli.Directory, $"ran-{a}-*", SearchOption.AllDirectories).Length;

    [Fact]
    public async Task A_narrowed_study_runs_none_of_the_withdrawn_trials_and_widening_brings_them_back()
    {
        _cli.Write("s.yaml", Wide);
        (await _cli.RunAsync("run", "s.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        _cli.Write("s.yaml", Wide + "exclude: [{a: 3}]\n");
        var narrowed = await _cli.RunAsync("run", "s.yaml", "-q");
        narrowed.Exit.ShouldBe(0, narrowed.Error);
        narrowed.Error.ShouldContain("withdrew 2 pending trials the file no longer plans (2 excluded by {a: 3}); listed as cancelled (expt ls --study nar --status cancelled)");
        narrowed.Error.ShouldContain("study nar resumed: 6 trials (4 points × 1 replication, 2 withdrawn)");
        narrowed.Error.ShouldContain("4 completed, 0 failed, 0 not run;");
        Ran(3).ShouldBe(0);
        Ran(1).ShouldBe(2);

        var status = await _cli.RunAsync("status", "nar", "--once");
        status.Out.ShouldContain("4 completed, 0 failed, 2 cancelled (2 withdrawn), 0 running, 0 pending");
        var listed = await _cli.RunAsync("ls", "--study", "nar", "--status", "cancelled", "--format", "csv");
        listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ShouldAllBe(l => l.Contains("withdrawn: no longer in the study's file", StringComparison.Ordinal));

        // Again with the same file: nothing runs, nothing is said twice.
        var same = await _cli.RunAsync("run", "s.yaml", "-q");
        same.Error.ShouldNotContain("withdrew");
        Ran(3).ShouldBe(0);

        _cli.Write("s.yaml", Wide);
        var widened = await _cli.RunAsync("run", "s.yaml", "-q");
        widened.Exit.ShouldBe(0, widened.Error);
        widened.Error.ShouldContain("2 cancelled trials back in the queue");
        Ran(3).ShouldBe(2);
    }

    [Fact]
    public async Task Trials_cancelled_by_hand_stay_cancelled_until_expt_retry()
    {
        _cli.Write("s.yaml", Wide);
        (await _cli.RunAsync("run", "s.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        (await _cli.RunAsync("cancel", "nar")).Error.ShouldContain("cancelled 6 trials");
        var run = await _cli.RunAsync("run", "s.yaml", "-q");
        run.Error.ShouldContain("6 trials cancelled by hand stay cancelled; run them with: expt retry nar");
        run.Error.ShouldContain("0 completed, 0 failed, 0 not run, 6 cancelled by hand;");
        Ran(1).ShouldBe(0);
        (await _cli.RunAsync("status", "nar", "--once")).Out.ShouldContain("6 cancelled (6 by hand)");

        (await _cli.RunAsync("retry", "nar")).Exit.ShouldBe(0);
        (await _cli.RunAsync("run", "s.yaml", "-q")).Exit.ShouldBe(0);
        Ran(1).ShouldBe(2);
        Ran(3).ShouldBe(2);
    }
}
