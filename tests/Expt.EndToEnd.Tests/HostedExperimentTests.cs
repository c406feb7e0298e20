namespace Expt.EndToEnd.Tests;

/// <summary>A user's own program hosting the CLI with C# experiments (fluent and attribute models), and isolation.</summary>
[Trait("Category", "Slow")]
public sealed class HostedExperimentTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private Task<ExptCli.Result> Host(params string[] args) => _cli.RunAsync(ExptCli.HostDll, args);

    [Fact]
    public async Task The_fluent_experiment_runs_with_overrides_and_is_listed()
    {
        var run = await Host("run", "square", "--set", "x=4,5");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("study square created: 4 trials (2 points × 2 replications)");
        var trials = (await Host("ls", "--study", "square", "--format", "json")).Json().EnumerateArray().ToList();
        trials.Select(t => t.GetProperty("results").GetProperty("square").GetInt32()).ShouldBe([16, 16, 25, 25]);
        var show = await Host("show", trials[0].GetProperty("id").GetString()!);
        show.Stdout.ShouldContain("metric progress");
    }

    [Fact]
    public async Task Attribute_experiments_are_found_by_name_and_deterministic()
    {
        var first = await Host("run", "anneal", "-j", "1", "--store", "a.db");
        var second = await Host("run", "anneal", "-j", "3", "--store", "b.db");
        first.ExitCode.ShouldBe(0, first.ToString());
        second.ExitCode.ShouldBe(0, second.ToString());
        first.Stderr.ShouldContain("12 trials (4 points × 3 replications)");
        static List<string> Results(ExptCli.Result r) => r.Json().EnumerateArray().Select(t => t.GetProperty("key").GetString() + t.GetProperty("results").GetRawText()).Order().ToList();
        Results(await Host("ls", "--store", "a.db", "--format", "json")).ShouldBe(Results(await Host("ls", "--store", "b.db", "--format", "json")));
    }

    [Fact]
    public async Task A_yaml_file_can_name_a_hosted_experiment()
    {
        _cli.Write("square.yaml", "name: from-file\nexperiment: square\nparams:\n  x: [7]\n  label: b\n");
        var run = await Host("run", "square.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trial = (await Host("ls", "--format", "json")).Json().EnumerateArray().First();
        trial.GetProperty("results").GetProperty("square").GetInt32().ShouldBe(49);
        _cli.Write("typo.yaml", "name: typo\nexperiment: sqare\n");
        var typo = await Host("run", "typo.yaml");
        typo.ExitCode.ShouldBe(2);
        typo.Stderr.ShouldContain("experiment: no experiment named 'sqare'; this program has: anneal, square, crashy");
    }

    [Fact]
    public async Task The_csharp_example_program_runs_its_experiments()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Expt.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        }
        var example = Directory.GetFiles(Path.Combine(root, "examples", "csharp", "bin"), "anneal.dll", SearchOption.AllDirectories).First();
        var run = await _cli.RunAsync(example, ["run", "anneal", "--set", "iters=500", "--set", "replications=2"]);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("study anneal created: 12 trials (6 points × 2 replications)");
        var tsp = await _cli.RunAsync(example, ["run", "tsp", "--set", "cities=12", "--set", "replications=1"]);
        tsp.ExitCode.ShouldBe(0, tsp.ToString());
        var trials = (await _cli.RunAsync(example, ["ls", "--study", "tsp", "--format", "json"])).Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(6);
        trials.ShouldAllBe(t => t.GetProperty("results").GetProperty("best").GetDouble() > 0);
    }

    [Fact]
    public async Task Isolation_survives_crashes_and_kills_hung_trials()
    {
        var run = await Host("run", "crashy", "--isolate", "-j", "2");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = (await Host("ls", "--format", "json")).Json().EnumerateArray()
            .ToDictionary(t => t.GetProperty("params").GetProperty("mode").GetString()!, t => t);
        trials["ok"].GetProperty("status").GetString().ShouldBe("completed");
        trials["ok2"].GetProperty("status").GetString().ShouldBe("completed");
        trials["ok"].GetProperty("results").GetProperty("pid").GetInt32().ShouldNotBe(trials["ok"].GetProperty("pid").GetInt32());
        trials["exit"].GetProperty("status").GetString().ShouldBe("failed");
        trials["exit"].GetProperty("error").GetString()!.ShouldStartWith("the worker process died (exit code 42)\n");
        trials["exit"].GetProperty("error").GetString()!.ShouldEndWith("\nabout to die");
        trials["hang"].GetProperty("status").GetString().ShouldBe("timeout");
        trials["throw"].GetProperty("error").GetString()!.ShouldStartWith("System.InvalidOperationException: trial code threw");
        var dir = Path.Combine(_cli.Directory, ".expt", "runs", "crashy", trials["ok"].GetProperty("id").GetString()!, "stderr.log");
        File.ReadAllText(dir).ShouldContain("hello from " + trials["ok"].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_worker_builds_executors_as_run_does_isolating_csharp_trials_and_echoing_commands()
    {
        (await Host("run", "crashy", "--enqueue-only")).ExitCode.ShouldBe(0);
        var worker = await Host("worker", "--study", "crashy", "--isolate", "-j", "2");
        worker.ExitCode.ShouldBe(1, worker.ToString()); // the crash, the hang and the throw fail; the worker survives them
        var trials = (await Host("ls", "--format", "json")).Json().EnumerateArray()
            .ToDictionary(t => t.GetProperty("params").GetProperty("mode").GetString()!, t => t);
        trials["ok"].GetProperty("status").GetString().ShouldBe("completed");
        trials["ok"].GetProperty("results").GetProperty("pid").GetInt32().ShouldNotBe(trials["ok"].GetProperty("pid").GetInt32());
        trials["exit"].GetProperty("error").GetString()!.ShouldStartWith("the worker process died (exit code 42)");
        trials["hang"].GetProperty("status").GetString().ShouldBe("timeout");

        (await _cli.RunAsync("run", "--name", "echo", "--enqueue-only", "--set", "x=1,2", "--", "echo", "line-{x}")).ExitCode.ShouldBe(0);
        var verbose = await _cli.RunAsync("worker", "--study", "echo", "-v");
        verbose.ExitCode.ShouldBe(0, verbose.ToString());
        verbose.Stdout.ShouldContain("out| line-1");
        verbose.Stdout.ShouldContain("out| line-2");
    }
}
