using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Workers as separate processes against a real PostgreSQL server, with real faults: kill -9, SIGSTOP beyond the
/// lease, SIGTERM, a server restart, a server gone for longer than a lease, concurrent fillers.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DistributedTests : IDisposable
{
    private readonly ExptCli _cli = new();
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        _cli.Dispose();
    }

    private static string Study(string name, string command, int trials, int retries = 0, string extra = "") => $"""
        name: {name}
        shell: true
        command: {command}
        params:
          x: range({trials})
        retries: {retries}
        {extra}
        """;

    /// <summary>
    /// A worker as if on a machine of its own: its own runner registry, so a dead worker's trials come back through
    /// its expired lease, as they would from another host (not through the same-host recovery of ProcessFaultTests).
    /// </summary>
    private Process Worker(string store, params string[] args)
    {
        var machine = new Dictionary<string, string> { ["EXPT_RUNNERS_DIR"] = Path.Combine(_cli.Directory, "machine-" + Guid.NewGuid().ToString("N")[..8]) };
        var process = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, .. args], machine);
        process.StandardInput.Close();
        // Drain the pipes so a chatty worker never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static async Task<int> ExitAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Workers_killed_with_sigkill_lose_nothing_and_every_trial_completes_exactly_once(bool throughPgBouncer)
    {
        // retries: 0, so an interruption counted as an attempt would show as a failed trial.
        var (store, direct) = throughPgBouncer ? await PgBouncer.NewStoreAsync() : (await Postgres.Shared.NewStoreAsync()) is var s ? (s, s) : default;
        _cli.Write("study.yaml", Study("killed", "sleep 0.03", 1000, retries: 0));
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ExitCode.ShouldBe(0);
        string[] workerArgs = ["-j", "2", "-q", "--lease", "3s", "--heartbeat", "500ms", "--idle-exit", "5s"];
        var workers = Enumerable.Range(0, 4).Select(_ => Worker(store, workerArgs)).ToList();
        var interrupted = new Dictionary<string, int>(StringComparer.Ordinal); // trial → the killed worker that held it
        for (var round = 0; round < 3; round++)
        {
            await Postgres.WaitUntilAsync(
                async () => await Postgres.ScalarAsync(direct, "SELECT COUNT(*) FROM trials WHERE status = 'completed'") >= 150 * (round + 1),
                TimeSpan.FromSeconds(60), "trials to complete");
            var victim = workers[round];
            // Killed in the middle of trials: while it holds some (between two trials it may briefly hold none).
            await Postgres.WaitUntilAsync(
                async () => await Postgres.ScalarAsync(direct, $"SELECT COUNT(*) FROM trials WHERE status = 'running' AND pid = {victim.Id}") > 0,
                TimeSpan.FromSeconds(30), "the victim to hold a trial");
            victim.Kill(); // SIGKILL, sent at once (spawning kill(1) would leave its trials time to finish)
            workers.Add(Worker(store, workerArgs));
            // A commit the victim sent just before it died still lands; after that, what it held stays running
            // until its lease (3 s from its last heartbeat) runs out. Read it in between.
            await Task.Delay(1000);
            // (It may, rarely, have finished what it held in the instant before the signal: the rounds together
            // must have interrupted trials, checked below.)
            var held = await Postgres.RowsAsync(direct, $"SELECT id FROM trials WHERE status = 'running' AND pid = {victim.Id}");
            foreach (var row in held)
            {
                interrupted[(string)row[0]] = victim.Id;
            }
        }
        interrupted.ShouldNotBeEmpty();
        foreach (var worker in workers.Skip(3))
        {
            (await ExitAsync(worker, TimeSpan.FromMinutes(3))).ShouldBe(0);
        }

        var rows = await Postgres.RowsAsync(direct, "SELECT id, key, status, attempts, pid, COALESCE(history, '[]') FROM trials");
        rows.Count.ShouldBe(1000);
        rows.Select(r => (string)r[1]).Distinct().Count().ShouldBe(1000);
        rows.ShouldAllBe(r => (string)r[2] == "completed");
        foreach (var row in rows)
        {
            var (id, attempts, pid) = ((string)row[0], (int)row[3], (int)row[4]);
            if (interrupted.TryGetValue(id, out var holder))
            {
                // Held by a killed worker: its lease ran out and another worker ran it again, on the same attempt (an
                // interruption does not use up a retry), the interruption kept in its history. (That one may have been
                // killed later itself, after completing it.)
                attempts.ShouldBe(1, $"trial {id}");
                pid.ShouldNotBe(holder, $"trial {id}");
                ((string)row[5]).ShouldContain("interrupted", customMessage: $"trial {id}");
            }
            else
            {
                attempts.ShouldBe(1, $"trial {id}");
            }
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("USR2")]
    public async Task A_terminated_worker_gives_its_trials_back_at_once_and_exits_zero(string signal)
    {
        var store = await Postgres.Shared.NewStoreAsync();
        _cli.Write("study.yaml", Study("preempted", "sleep 120", 4));
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ExitCode.ShouldBe(0);
        var worker = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, "-j", "2"]);
        _processes.Add(worker);
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trials WHERE status = 'running'") == 2, TimeSpan.FromSeconds(30), "two trials to run");
        var watch = Stopwatch.StartNew();
        ExptCli.Signal(worker, signal);
        var result = await ExptCli.WaitAsync(worker, TimeSpan.FromSeconds(30));
        result.ExitCode.ShouldBe(0, result.ToString());
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10)); // at once, not after the 30 s lease
        result.Stderr.ShouldContain("2 given back");
        var rows = await Postgres.RowsAsync(store, "SELECT status, attempts, lease_owner IS NULL FROM trials");
        rows.ShouldAllBe(r => (string)r[0] == "pending" && (int)r[1] == 0 && (bool)r[2]);
    }

    [Fact]
    public async Task A_worker_paused_beyond_its_lease_cannot_complete_the_trial_another_worker_took_over()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        _cli.Write("study.yaml", Study("paused", """'sleep 2; echo "{{\"worker\": $PPID}}" > "$EXPT_RESULTS"'""", 1, retries: 2));
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ExitCode.ShouldBe(0);
        var first = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, "-j", "1", "--lease", "1s", "--heartbeat", "250ms"], new Dictionary<string, string> { ["EXPT_RUNNERS_DIR"] = Path.Combine(_cli.Directory, "machine-a") });
        _processes.Add(first);
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(store, $"SELECT COUNT(*) FROM trials WHERE status = 'running' AND pid = {first.Id}") == 1, TimeSpan.FromSeconds(30), "the first worker to run the trial");
        ExptCli.Signal(first, "STOP");
        await Task.Delay(1500); // beyond the lease
        var second = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, "-j", "1", "--lease", "1s", "--heartbeat", "250ms"], new Dictionary<string, string> { ["EXPT_RUNNERS_DIR"] = Path.Combine(_cli.Directory, "machine-b") });
        _processes.Add(second);
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(store, $"SELECT COUNT(*) FROM trials WHERE status = 'running' AND pid = {second.Id}") == 1, TimeSpan.FromSeconds(30), "the second worker to take the trial over");
        ExptCli.Signal(first, "CONT");
        var firstResult = await ExptCli.WaitAsync(first, TimeSpan.FromSeconds(60));
        var secondResult = await ExptCli.WaitAsync(second, TimeSpan.FromSeconds(60));
        secondResult.ExitCode.ShouldBe(0, secondResult.ToString());
        secondResult.Stderr.ShouldContain("1 completed");
        firstResult.Stderr.ShouldContain("0 completed", Case.Sensitive, firstResult.ToString());
        firstResult.Stderr.ShouldContain("1 refused", Case.Sensitive, firstResult.ToString());
        var row = (await Postgres.RowsAsync(store, "SELECT status, attempts, pid, results, history FROM trials")).Single();
        row[0].ShouldBe("completed");
        row[1].ShouldBe(1); // the paused attempt was interrupted, not used up
        ((string)row[4]).ShouldContain("interrupted");
        row[2].ShouldBe(second.Id);
        ((string)row[3]).ShouldContain($"{second.Id}");
    }

    [Fact]
    public async Task Eight_concurrent_fillers_create_each_trial_exactly_once()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        _cli.Write("study.yaml", Study("filled", "true", 1000, extra: "replications: 5"));
        var fillers = Enumerable.Range(0, 8).Select(_ => _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ToList();
        var results = await Task.WhenAll(fillers);
        results.ShouldAllBe(r => r.ExitCode == 0);
        results.Count(r => r.Stderr.Contains("created", StringComparison.Ordinal)).ShouldBe(1, string.Join("\n", results.Select(r => r.Stderr)));
        (await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM studies")).ShouldBe(1);
        (await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trials")).ShouldBe(5000);
        (await Postgres.ScalarAsync(store, "SELECT COUNT(DISTINCT key) FROM trials")).ShouldBe(5000);
    }

    [Fact]
    public async Task Workers_ride_out_a_server_restart_without_losing_or_repeating_a_trial()
    {
        await using var server = await Postgres.StartDedicatedAsync();
        var store = await server.NewStoreAsync();
        _cli.Write("study.yaml", Study("restarted", "sleep 0.02", 400));
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ExitCode.ShouldBe(0);
        var workers = Enumerable.Range(0, 4).Select(_ => Worker(store, "-j", "2", "-q", "--idle-exit", "3s")).ToList();
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trials WHERE status = 'completed'") >= 60, TimeSpan.FromSeconds(60), "trials to complete");
        await server.RestartAsync("fast");
        foreach (var worker in workers)
        {
            (await ExitAsync(worker, TimeSpan.FromMinutes(2))).ShouldBe(0);
        }
        var rows = await Postgres.RowsAsync(store, "SELECT status, attempts FROM trials");
        rows.Count.ShouldBe(400);
        rows.ShouldAllBe(r => (string)r[0] == "completed");
        // A claim whose reply was cut by the restart leaves its trials to expire and run again; nothing else repeats.
        rows.Count(r => (int)r[1] > 1).ShouldBeLessThan(40);
    }

    [Fact]
    public async Task A_worker_that_cannot_reach_the_server_for_longer_than_its_lease_stops_its_trials_and_exits()
    {
        await using var server = await Postgres.StartDedicatedAsync();
        var store = await server.NewStoreAsync();
        var marker = "30." + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _cli.Write("study.yaml", Study("outage", $"sleep {marker}", 2, retries: 1));
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only")).ExitCode.ShouldBe(0);
        var worker = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, "-j", "2", "--lease", "2s", "--heartbeat", "500ms"]);
        _processes.Add(worker);
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trials WHERE status = 'running'") == 2, TimeSpan.FromSeconds(30), "two trials to run");
        await server.StopOnlyAsync();
        var result = await ExptCli.WaitAsync(worker, TimeSpan.FromSeconds(60));
        result.ExitCode.ShouldBe(4, result.ToString());
        result.Stderr.ShouldContain("unreachable", Case.Insensitive, result.ToString());
        result.Stderr.ShouldNotContain("Password");
        result.Stderr.ShouldNotContain("   at "); // one line, no stack trace
        ExptCli.ProcessesRunning("sleep", marker).ShouldBeEmpty(); // its trials were stopped, not left running
        // When the server is back, expt status shows the two leases gone stale: the next claim requeues them.
        await server.StartAgainAsync();
        var status = await _cli.RunAsync("status", "outage", "--store", store, "--once");
        status.ExitCode.ShouldBe(0, status.ToString());
        status.Stdout.ShouldContain("2 running");
        status.Stdout.ShouldContain("stale leases");
        status.Stdout.ShouldContain("workers alive: 0");
    }
}
