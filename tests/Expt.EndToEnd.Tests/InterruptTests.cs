namespace Expt.EndToEnd.Tests;

/// <summary>Real SIGINT and SIGTERM sent to a real expt process in the middle of a study.</summary>
[Trait("Category", "Slow")]
public sealed class InterruptTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private const string Study = """
        name: slow
        shell: true
        command: echo start >> started.log; sleep $(cat delay); echo done
        params:
          x: range(6)
        parallel: 2
        """;

    private int Started => File.Exists(Path.Combine(_cli.Directory, "started.log")) ? File.ReadAllLines(Path.Combine(_cli.Directory, "started.log")).Length : 0;

    private async Task<Dictionary<string, int>> StatusesAsync()
    {
        var ls = await _cli.RunAsync("ls", "--format", "json");
        return ls.Json().EnumerateArray().GroupBy(t => t.GetProperty("status").GetString()!).ToDictionary(g => g.Key, g => g.Count());
    }

    // A delay no other test uses, so the orphan check below sees only this test's processes.
    private readonly string _longDelay = "60." + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<string> SleepingProcesses() => ExptCli.ProcessesRunning("sleep", _longDelay);

    [Fact]
    public async Task A_first_ctrl_c_lets_running_trials_finish()
    {
        _cli.Write("study.yaml", Study);
        _cli.Write("delay", "3");
        using var process = _cli.StartInterruptible("run", "study.yaml");
        await ExptCli.WaitUntilAsync(() => Started >= 2, TimeSpan.FromSeconds(30), "two trials to start");
        ExptCli.Signal(process, "INT");
        var result = await ExptCli.WaitAsync(process, TimeSpan.FromSeconds(30));
        result.ExitCode.ShouldBe(130, result.ToString());
        result.Stderr.ShouldContain("stopping: waiting for running trials to finish");
        var statuses = await StatusesAsync();
        statuses.GetValueOrDefault("completed").ShouldBe(2, result.ToString());
        statuses.GetValueOrDefault("pending").ShouldBe(4);
        statuses.ShouldNotContainKey("running");
    }

    [Fact]
    public async Task A_second_ctrl_c_interrupts_trials_and_the_next_run_completes_the_rest()
    {
        _cli.Write("study.yaml", Study);
        _cli.Write("delay", _longDelay);
        using var process = _cli.StartInterruptible("run", "study.yaml");
        await ExptCli.WaitUntilAsync(() => Started >= 2, TimeSpan.FromSeconds(30), "two trials to start");
        ExptCli.Signal(process, "INT");
        await Task.Delay(300);
        ExptCli.Signal(process, "INT");
        var result = await ExptCli.WaitAsync(process, TimeSpan.FromSeconds(30));
        result.ExitCode.ShouldBe(130, result.ToString());
        var statuses = await StatusesAsync();
        statuses.GetValueOrDefault("cancelled").ShouldBe(2, result.ToString());
        statuses.GetValueOrDefault("pending").ShouldBe(4);
        statuses.ShouldNotContainKey("running");
        // No orphaned sleep: the process trees were killed.
        SleepingProcesses().ShouldBeEmpty();

        _cli.Write("delay", "0");
        var resumed = await _cli.RunAsync("run", "study.yaml");
        resumed.ExitCode.ShouldBe(0, resumed.ToString());
        resumed.Stderr.ShouldContain("6 to run");
        (await StatusesAsync()).ShouldBe(new Dictionary<string, int> { ["completed"] = 6 });
    }

    [Fact]
    public async Task Sigterm_interrupts_at_once_and_leaves_nothing_running()
    {
        _cli.Write("study.yaml", Study);
        _cli.Write("delay", _longDelay);
        using var process = _cli.StartInterruptible("run", "study.yaml");
        await ExptCli.WaitUntilAsync(() => Started >= 2, TimeSpan.FromSeconds(30), "two trials to start");
        ExptCli.Signal(process, "TERM");
        var result = await ExptCli.WaitAsync(process, TimeSpan.FromSeconds(30));
        result.ExitCode.ShouldBe(130, result.ToString());
        (await StatusesAsync()).ShouldNotContainKey("running");
    }
}
