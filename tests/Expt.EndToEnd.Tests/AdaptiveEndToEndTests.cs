using System.Text.Json;

namespace Expt.EndToEnd.Tests;

/// <summary>Adaptive replications as a user runs them: races and sequential stopping through the expt CLI.</summary>
[Trait("Category", "Slow")]
public sealed class AdaptiveEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // Normal(mu, sigma) drawn from the trial's seed; sleeps as long as the file 'delay' says (Ctrl+C tests).
    internal const string Noisy = """
        import json, os, random, sys, time
        mu, sigma, seed = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
        open("started.log", "a").write("x\n")
        if os.path.exists("delay"):
            time.sleep(float(open("delay").read()))
        with open(os.environ["EXPT_RESULTS"], "w") as f:
            json.dump({"loss": random.Random(seed).gauss(mu, sigma)}, f)
        """;

    internal const string Race = """
        name: race
        command: python3 noisy.py {mu} {sigma} {seed}
        params:
          mu: [0.0, 0.1, 0.4, 1.0, 2.0]
          sigma: 0.2
        objectives: {loss: minimize}
        race: {test: t, alpha: 0.05, min_replications: 3, max_replications: 8}
        seed: 5
        """;

    private Task<string> OutcomeAsync(string store) => OutcomeAsync(_cli, store);

    /// <summary>What a race decided, per point: replicates, mean, state and round.</summary>
    internal static async Task<string> OutcomeAsync(ExptCli cli, string store)
    {
        var summary = await cli.RunAsync("summary", "race", "--store", store, "--format", "json");
        summary.ExitCode.ShouldBe(0, summary.ToString());
        return string.Join('\n', summary.Json().EnumerateArray().Select(g =>
        {
            var a = g.GetProperty("adaptive");
            return $"{g.GetProperty("mu")} n={g.GetProperty("n")} mean={g.GetProperty("mean").GetDouble():R} {a.GetProperty("state")} {a.GetProperty("status")} " +
                (a.TryGetProperty("round", out var round) ? round.ToString() : "-");
        }));
    }

    [Fact]
    public async Task A_typo_in_a_rule_stops_the_study_at_once_instead_of_running_every_point_to_max()
    {
        _cli.Write("v.py", "import json, os, sys\njson.dump({'v': float(sys.argv[1])}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        _cli.Write("typo.yaml", "name: typo\ncommand: python3 v.py {mu}\nparams:\n  mu: [1.0, 2.0, 3.0, 4.0]\nreplications: {min: 2, max: 50, until: sd(vv) < 0.1}\n");
        var run = await _cli.RunAsync("run", "typo.yaml", "-j", "2");
        run.ExitCode.ShouldBe(2, run.ToString());
        run.Stderr.ShouldContain("error: replications.until reads 'vv', which none of the ");
        run.Stderr.ShouldContain("(did you mean 'v'?); they report: v. Nothing was decided: fix the study file and run it again");
        run.Stderr.ShouldNotContain("   at ");
        var trials = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Count(t => t.GetProperty("status").GetString() == "completed");
        trials.ShouldBeLessThan(10, "stopped after the first trials, not 4 points × 50");

        // Fixed in the file, the same study runs on: nothing was decided before.
        _cli.Write("typo.yaml", "name: typo\ncommand: python3 v.py {mu}\nparams:\n  mu: [1.0, 2.0, 3.0, 4.0]\nreplications: {min: 2, max: 50, until: sd(v) < 0.1}\n");
        var fixedRun = await _cli.RunAsync("run", "typo.yaml", "-j", "2");
        fixedRun.ExitCode.ShouldBe(0, fixedRun.ToString());
        fixedRun.Stderr.ShouldContain("4 precise");
    }

    [Fact]
    public async Task A_race_decides_the_same_with_one_or_four_trials_at_once_and_says_what_it_decided()
    {
        _cli.Write("noisy.py", Noisy);
        _cli.Write("race.yaml", Race);
        var one = await _cli.RunAsync("run", "race.yaml", "-j", "1", "--store", "one.db");
        one.ExitCode.ShouldBe(0, one.ToString());
        one.Stderr.ShouldContain("5 points × 3–8 replicates, raced on loss");
        one.Stderr.ShouldContain("race on loss (paired t-tests, Holm, alpha 0.05): ");
        var four = await _cli.RunAsync("run", "race.yaml", "-j", "4", "--store", "four.db");
        four.ExitCode.ShouldBe(0, four.ToString());
        var expected = await OutcomeAsync("one.db");
        (await OutcomeAsync("four.db")).ShouldBe(expected);
        expected.ShouldContain("eliminated");
        expected.ShouldContain("survivor (best)");
        expected.Split('\n')[^1].ShouldStartWith("2.0 n=3 "); // the worst point goes after the first round

        var table = await _cli.RunAsync("summary", "race", "--store", "one.db");
        table.Stdout.ShouldContain("ADAPTIVE");
        table.Stdout.ShouldContain("eliminated in round 3 (p = ");
        table.Stderr.ShouldContain(" eliminated, 0 failed of 5 points; finished after round ");
        var report = await _cli.RunAsync("report", "race", "--store", "one.db", "-o", "report.html");
        report.ExitCode.ShouldBe(0, report.ToString());
        File.ReadAllText(Path.Combine(_cli.Directory, "report.html")).ShouldContain("<h2>Race</h2>");
    }

    [Fact]
    public async Task Three_worker_processes_on_postgresql_decide_as_one_run_on_sqlite()
    {
        _cli.Write("noisy.py", Noisy);
        _cli.Write("race.yaml", Race);
        var alone = await _cli.RunAsync("run", "race.yaml", "-j", "1", "--store", "alone.db");
        alone.ExitCode.ShouldBe(0, alone.ToString());
        var store = await Postgres.Shared.NewStoreAsync();
        var fill = await _cli.RunAsync("run", "race.yaml", "--store", store, "--enqueue-only");
        fill.ExitCode.ShouldBe(0, fill.ToString());
        var workers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _cli.RunAsync("worker", "--store", store, "--study", "race", "-j", "2")));
        workers.ShouldAllBe(w => w.ExitCode == 0, string.Join('\n', workers.Select(w => w.ToString())));
        (await OutcomeAsync(store)).ShouldBe(await OutcomeAsync("alone.db"));
        // Each point was decided once, whichever worker completed the trial that made it possible.
        (await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM point_decisions")).ShouldBe(5);
    }

    [Fact]
    public async Task A_race_stopped_by_ctrl_c_twice_resumes_where_it_stopped()
    {
        _cli.Write("noisy.py", Noisy);
        _cli.Write("race.yaml", Race);
        var whole = await _cli.RunAsync("run", "race.yaml", "-j", "2", "--store", "whole.db");
        whole.ExitCode.ShouldBe(0, whole.ToString());
        File.Delete(Path.Combine(_cli.Directory, "started.log"));

        _cli.Write("delay", "0.4");
        using var process = _cli.StartInterruptible("run", "race.yaml", "-j", "2", "--store", "cut.db");
        // Into the second round: the first one (15 trials) decided, some of the next running.
        await ExptCli.WaitUntilAsync(() => File.Exists(Path.Combine(_cli.Directory, "started.log")) && File.ReadAllLines(Path.Combine(_cli.Directory, "started.log")).Length >= 17,
            TimeSpan.FromSeconds(60), "the second round to start");
        ExptCli.Signal(process, "INT");
        await Task.Delay(200);
        ExptCli.Signal(process, "INT");
        var cut = await ExptCli.WaitAsync(process, TimeSpan.FromSeconds(30));
        cut.ExitCode.ShouldBe(130, cut.ToString());

        File.Delete(Path.Combine(_cli.Directory, "delay"));
        var resumed = await _cli.RunAsync("run", "race.yaml", "-j", "3", "--store", "cut.db");
        resumed.ExitCode.ShouldBe(0, resumed.ToString());
        resumed.Stderr.ShouldContain("study race resumed");
        (await OutcomeAsync("cut.db")).ShouldBe(await OutcomeAsync("whole.db"));
    }

    [Fact]
    public async Task Sequential_stopping_runs_noisier_points_longer_and_reports_each_point()
    {
        _cli.Write("noisy.py", Noisy);
        _cli.Write("seq.yaml", """
            name: seq
            command: python3 noisy.py {mu} {sigma} {seed}
            params:
              mu: [10.0]
              sigma: [0.05, 0.3, 50]
            objectives: {loss: minimize}
            replications:
              min: 3
              max: 12
              until: ci95_halfwidth(objective) < 0.02 * abs(mean(objective))
            """);
        var run = await _cli.RunAsync("run", "seq.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("sequential stopping (until ci95_halfwidth(objective) < 0.02 * abs(mean(objective)); 3–12 replicates): 2 precise, 1 max reached, 0 failed, 0 running of 3 points");
        var summary = (await _cli.RunAsync("summary", "seq", "--format", "json")).Json().EnumerateArray().ToList();
        int N(int i) => summary[i].GetProperty("n").GetInt32();
        string State(int i) => summary[i].GetProperty("adaptive").GetProperty("state").GetString()!;
        (State(0), State(1), State(2)).ShouldBe(("precise", "precise", "max_reached"));
        N(0).ShouldBe(3);
        N(1).ShouldBeInRange(4, 11);
        N(2).ShouldBe(12);
        summary[0].GetProperty("adaptive").GetProperty("reason").GetString()!.ShouldStartWith("until met: n = 3, ci95_halfwidth(loss) = ");
    }

    [Fact]
    public async Task A_bad_rule_is_one_line_exit_2_and_leaves_no_store()
    {
        _cli.Write("bad.yaml", "name: bad\ncommand: echo {x}\nparams: {x: [1, 2]}\nreplications:\n  min: 2\n  max: 5\n  until: ci95_halfwidth(loss) < < 1\n");
        var result = await _cli.RunAsync("run", "bad.yaml");
        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.Trim().ShouldBe("error: bad.yaml:7: replications.until: at column 24: unexpected '<'; expected a number, n, or a statistic such as mean(loss) (in 'ci95_halfwidth(loss) < < 1')");
        File.Exists(Path.Combine(_cli.Directory, "expt.db")).ShouldBeFalse();
    }
}
