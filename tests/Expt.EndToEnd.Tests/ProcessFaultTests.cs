using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Trial processes are tied to their runner, as a batch system ties a job step's processes to the step: what a trial
/// leaves running is ended when it exits; when the runner is killed with SIGKILL its trials end at once and come back
/// at once, without using up a retry and without ever running twice at the same time; a trial that kills its runner
/// every time is given up after three tries. Real processes, real SIGKILL.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ProcessFaultTests : IDisposable
{
    private readonly ExptCli _cli = new();
    private readonly string _runners;
    private readonly string _tag = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public ProcessFaultTests() => _runners = Path.Combine(_cli.Directory, "runners");

    public void Dispose()
    {
        foreach (var pid in Marked(trialsOnly: false))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
        }
        _cli.Dispose();
    }

    private Dictionary<string, string> Env => new() { ["EXPT_RUNNERS_DIR"] = _runners };

    /// <summary>Live processes started by this test's trials (they carry its tag and a runner token in their environment).</summary>
    private List<int> Marked(bool trialsOnly = true) => Directory.GetDirectories("/proc")
        .Where(d => int.TryParse(Path.GetFileName(d), out _))
        .Where(d =>
        {
            try
            {
                var environment = File.ReadAllText(Path.Combine(d, "environ"));
                // A trial's process (not expt, nor its watcher): it carries the runner's token.
                return environment.Contains($"TEST_TAG={_tag}\0", StringComparison.Ordinal) && (!trialsOnly || environment.Contains("EXPT_RUNNER=", StringComparison.Ordinal))
                    && !File.ReadAllText(Path.Combine(d, "stat")).Contains(") Z ", StringComparison.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        })
        .Select(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private static List<int> ProcessesWithCommandLine(string text) => Directory.GetDirectories("/proc")
        .Where(d => int.TryParse(Path.GetFileName(d), out _))
        .Where(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(text, StringComparison.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        })
        .Select(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private async Task<ExptCli.Result> RunAsync(params string[] args) =>
        await _cli.RunAsync(ExptCli.ExptDll, args, new Dictionary<string, string>(Env) { ["TEST_TAG"] = _tag });

    [Fact]
    public async Task What_a_trial_leaves_running_is_ended_shortly_after_it_exits()
    {
        var clock = Stopwatch.StartNew();
        var run = await RunAsync("run", "--name", "leftovers", "--set", "x=1,2", "--", "sh", "-c", "sleep 300 & nohup sleep 301 >/dev/null 2>&1 & echo started");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("left processes running; they were ended after 1.0s (keep_children: true in the study keeps them)");
        Marked().ShouldBeEmpty();
        var ls = (await RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        ls.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
    }

    [Fact]
    public async Task Keep_children_lets_a_daemon_outlive_its_trial()
    {
        _cli.Write("study.yaml", $"name: daemon\nkeep_children: true\ncommand: sh -c 'nohup sleep 302.{_tag} >/dev/null 2>&1 & echo started'\n");
        var run = await RunAsync("run", "study.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldNotContain("left processes running");
        ProcessesWithCommandLine($"302.{_tag}").Count.ShouldBe(1);
    }

    private const string Trial = """
        import os, sys, time
        me = os.environ["EXPT_TRIAL_ID"]
        # Another process running this same trial right now (an earlier attempt still alive) is an overlap.
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in (os.getpid(), os.getppid()):
                continue
            try:
                env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            except OSError:
                continue
            if f"EXPT_TRIAL_ID={me}".encode() in env and b"ROLE=trial" in env:
                open("overlaps.log", "a").write(f"{me} {pid}\n")
        with open("started.log", "a") as f:
            f.write(me + "\n")
        time.sleep(float(open("delay").read()))
        """;

    private const string Study = """
        name: drill
        command: python3 trial.py {x}
        env:
          ROLE: trial
        params:
          x: range(4)
        parallel: 2
        retries: 0
        """;

    private int Started => File.Exists(Path.Combine(_cli.Directory, "started.log")) ? File.ReadAllLines(Path.Combine(_cli.Directory, "started.log")).Length : 0;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_runner_killed_with_sigkill_leaves_no_orphan_and_its_trials_run_again_at_once_without_using_a_retry(bool watcherKilledToo)
    {
        _cli.Write("trial.py", Trial);
        _cli.Write("study.yaml", Study);
        _cli.Write("delay", "300");
        using var runner = _cli.Start(ExptCli.ExptDll, ["run", "study.yaml"], new Dictionary<string, string>(Env) { ["TEST_TAG"] = _tag });
        await ExptCli.WaitUntilAsync(() => Started >= 2, TimeSpan.FromSeconds(30), "two trials to start");
        Marked().Count.ShouldBeGreaterThanOrEqualTo(2);
        var watchers = ProcessesWithCommandLine("expt-watcher");
        if (watcherKilledToo)
        {
            // As when the machine's OOM killer takes the runner and its watcher together: the next runner cleans up.
            foreach (var pid in watchers)
            {
                Process.GetProcessById(pid).Kill();
            }
        }
        runner.Kill(); // SIGKILL, at once
        await runner.WaitForExitAsync();
        if (!watcherKilledToo)
        {
            await ExptCli.WaitUntilAsync(() => Marked().Count == 0, TimeSpan.FromSeconds(5), "the watcher to end the dead runner's trials");
        }

        _cli.Write("delay", "0.2");
        var clock = Stopwatch.StartNew();
        var rerun = await RunAsync("run", "study.yaml");
        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(25)); // no lease (30 s) waited out
        rerun.Stderr.ShouldContain("its running trials were given back (2), without using up a retry");
        if (watcherKilledToo)
        {
            rerun.Stderr.ShouldContain("of its processes were still running and were ended");
        }
        Marked().ShouldBeEmpty();
        File.Exists(Path.Combine(_cli.Directory, "overlaps.log")).ShouldBeFalse(File.Exists(Path.Combine(_cli.Directory, "overlaps.log")) ? File.ReadAllText(Path.Combine(_cli.Directory, "overlaps.log")) : null);
        var trials = (await RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed" && t.GetProperty("attempts").GetInt32() == 1);
        var interrupted = trials.Where(t => t.GetProperty("history").ValueKind == System.Text.Json.JsonValueKind.Array).ToList();
        interrupted.Count.ShouldBe(2);
        interrupted.ShouldAllBe(t => t.GetProperty("history")[0].GetProperty("event").GetString() == "interrupted");
        Directory.GetFiles(_runners).ShouldBeEmpty(); // the dead runner's record is gone, and so is the rerun's
    }

    [Fact]
    public async Task A_trial_that_kills_its_runner_every_time_is_given_up_after_three()
    {
        // The trial's parent is the runner (setsid replaces itself with the trial): this kills expt, as an OOM would.
        var args = new[] { "run", "--name", "killer", "--set", "x=1", "--", "sh", "-c", "kill -9 $PPID; sleep 5" };
        for (var round = 1; round <= 3; round++)
        {
            var killed = await RunAsync(args);
            killed.ExitCode.ShouldBe(137, $"round {round}: {killed}");
        }
        var last = await RunAsync(args);
        last.ExitCode.ShouldBe(1, last.ToString());
        last.Stderr.ShouldContain("its running trials were given back (1)");
        var trial = (await RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single();
        trial.GetProperty("status").GetString().ShouldBe("failed");
        trial.GetProperty("error").GetString().ShouldStartWith("interrupted 3 times in a row");
        Marked().ShouldBeEmpty();
    }
}
