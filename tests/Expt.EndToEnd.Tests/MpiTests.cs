using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>Studies under a real mpiexec (OpenMPI), compared with local runs; a rank killed in the middle.</summary>
[Trait("Category", "Slow")]
public sealed class MpiTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private Process Mpiexec(int ranks, params string[] args)
    {
        var info = new ProcessStartInfo("mpiexec")
        {
            WorkingDirectory = _cli.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--allow-run-as-root", "--oversubscribe", "-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["TERM"] = "dumb"; // or .NET writes terminal escape codes into the ranks' output
        info.Environment.Remove("EXPT_STORE");
        return Process.Start(info)!;
    }

    private async Task<ExptCli.Result> MpiexecAsync(int ranks, params string[] args) => await ExptCli.WaitAsync(Mpiexec(ranks, args), TimeSpan.FromMinutes(3));

    // What must be identical to a local run: which trials exist, their seeds and their results.
    private async Task<List<string>> TrialsAsync(string store)
    {
        var ls = await _cli.RunAsync(ExptCli.HostDll, ["ls", "--store", store, "--format", "json"]);
        return ls.Json().EnumerateArray()
            .Select(t => $"{t.GetProperty("key").GetString()} {t.GetProperty("seed").GetInt64()} {t.GetProperty("status").GetString()} {t.GetProperty("results").GetRawText()}")
            .Order(StringComparer.Ordinal).ToList();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_study_under_mpiexec_gives_exactly_the_trials_seeds_and_results_of_a_local_run(int ranks)
    {
        var local = await _cli.RunAsync(ExptCli.HostDll, ["run", "anneal", "--store", "local.db", "-q"]);
        local.ExitCode.ShouldBe(0, local.ToString());
        var mpi = await MpiexecAsync(ranks, ExptCli.HostDll, "run", "anneal", "--mpi", "--store", "mpi.db", "-q");
        mpi.ExitCode.ShouldBe(0, mpi.ToString());
        mpi.Stderr.ShouldContain($"{ranks - 1} at once");
        mpi.Stderr.ShouldContain("12 completed, 0 failed");
        var expected = await TrialsAsync("local.db");
        expected.Count.ShouldBe(12);
        (await TrialsAsync("mpi.db")).ShouldBe(expected);
    }

    [Fact]
    public async Task A_race_under_mpiexec_decides_as_a_local_run()
    {
        _cli.Write("noisy.py", AdaptiveEndToEndTests.Noisy);
        _cli.Write("race.yaml", AdaptiveEndToEndTests.Race);
        var local = await _cli.RunAsync("run", "race.yaml", "-j", "1", "--store", "local.db", "-q");
        local.ExitCode.ShouldBe(0, local.ToString());
        var mpi = await MpiexecAsync(3, ExptCli.ExptDll, "run", "race.yaml", "--mpi", "--store", "mpi.db", "-q");
        mpi.ExitCode.ShouldBe(0, mpi.ToString());
        (await AdaptiveEndToEndTests.OutcomeAsync(_cli, "mpi.db")).ShouldBe(await AdaptiveEndToEndTests.OutcomeAsync(_cli, "local.db"));
    }

    [Fact]
    public async Task Ranks_say_what_they_have_and_get_only_trials_that_fit_them()
    {
        // The ranks have no GPU here: trials that need one fail saying so; the others run with their cores given.
        _cli.Write("study.yaml", """
            name: sized
            shell: true
            command: |
              echo "{\"cpus\": $EXPT_CPUS, \"omp\": $OMP_NUM_THREADS}" > "$EXPT_RESULTS"
            params:
              kind: [cpu, gpu]
              x: range(2)
            resources:
              cpus: 1
              when:
                - where: kind == "gpu"
                  gpus: 1
            """);
        var run = await MpiexecAsync(3, ExptCli.ExptDll, "run", "study.yaml", "--mpi", "-q");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        foreach (var trial in trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "cpu"))
        {
            trial.GetProperty("status").GetString().ShouldBe("completed");
            trial.GetProperty("results").GetProperty("cpus").GetInt32().ShouldBe(1);
            trial.GetProperty("results").GetProperty("omp").GetInt32().ShouldBe(1);
            trial.GetProperty("usage").GetProperty("cpus").GetInt32().ShouldBe(1); // usage comes back from the rank
        }
        foreach (var trial in trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "gpu"))
        {
            trial.GetProperty("status").GetString().ShouldBe("failed");
            trial.GetProperty("error").GetString().ShouldNotBeNull().ShouldStartWith("no rank has what this trial needs (1 cpu, 1 gpu); the ranks have: rank 1: ");
        }
    }

    [Fact]
    public async Task Command_trials_run_on_the_ranks_and_one_rank_runs_locally()
    {
        _cli.Write("study.yaml", "name: cmds\ncommand: echo {x}\nparams:\n  x: range(6)\n");
        var run = await MpiexecAsync(3, ExptCli.ExptDll, "run", "study.yaml", "--mpi", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("6 completed");
        // Each trial records the rank that ran it (1 or 2) and that rank's own pid, not the coordinator's.
        var trials = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        trials.Select(t => t.GetProperty("rank").GetInt32()).Distinct().Order().ShouldBe([1, 2]);
        trials.Select(t => t.GetProperty("pid").GetInt32()).Distinct().Count().ShouldBe(2);
        trials.ShouldAllBe(t => t.GetProperty("host").GetString() == Environment.MachineName);
        var single = await MpiexecAsync(1, ExptCli.ExptDll, "run", "study.yaml", "--mpi", "--store", "one.db", "-q", "--set", "x=7");
        single.ExitCode.ShouldBe(0, single.ToString());
        single.Stderr.ShouldContain("1 completed");
    }

    [Fact]
    public async Task A_rank_killed_mid_run_stops_the_job_quickly_and_a_rerun_finishes_every_trial_once()
    {
        _cli.Write("study.yaml", "name: slow\ncommand: sleep 0.4\nparams:\n  x: range(24)\n");
        using var job = Mpiexec(3, ExptCli.ExptDll, "run", "study.yaml", "--mpi");
        var stdout = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        await ExptCli.WaitUntilAsync(() => Directory.Exists(Path.Combine(_cli.Directory, ".expt", "runs", "slow"))
            && Directory.GetDirectories(Path.Combine(_cli.Directory, ".expt", "runs", "slow")).Length >= 4, TimeSpan.FromSeconds(60), "trials to run");
        // The ranks are the expt processes whose parent is mpiexec; rank 0 is the first. Kill the last one.
        var ranks = Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d))
            .Where(p => int.TryParse(p, out _) && File.Exists($"/proc/{p}/stat") && ParentOf(p) == job.Id)
            .Select(int.Parse).Order().ToList();
        ranks.Count.ShouldBe(3);
        using (var kill = Process.Start("kill", ["-9", ranks[^1].ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await job.WaitForExitAsync(cts.Token); // it never hangs
        job.ExitCode.ShouldNotBe(0, await stderr);
        await stdout;

        var statuses = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().GroupBy(t => t.GetProperty("status").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        statuses.ShouldNotContainKey("running"); // the killed rank's trial went back to the queue
        var done = statuses.GetValueOrDefault("completed");
        done.ShouldBeLessThan(24);

        var rerun = await MpiexecAsync(3, ExptCli.ExptDll, "run", "study.yaml", "--mpi", "-q");
        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        var trials = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(24);
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed" && t.GetProperty("attempts").GetInt32() == 1);
    }

    private static int ParentOf(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    [Fact]
    public async Task Without_the_mpi_library_the_message_says_what_to_do()
    {
        _cli.Write("study.yaml", "name: nolib\ncommand: echo\nparams:\n  x: range(2)\n");
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "study.yaml", "--mpi"], new Dictionary<string, string> { ["EXPT_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" });
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Stderr.Trim().ShouldBe("error: --mpi: /nonexistent/libmpi.so.40 (OpenMPI 4) was not found; install it (apt-get install openmpi-bin), set EXPT_MPI_LIBRARY to its path, or run without --mpi");
        File.Exists(Path.Combine(_cli.Directory, ".expt", "expt.db")).ShouldBeFalse();
    }
}
