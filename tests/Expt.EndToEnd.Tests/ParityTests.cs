using System.Text.Json;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Users of the tools Expt replaces (ORruns, a counterfactual runner, sweepexp, yanex, PyExperimenter) switching to
/// it: each test is written as such a user would work, with their habits (Python's json with NaN, Hydra overrides,
/// -j 0, tagged compares, a table of rows filled then run in parts).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ParityTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<List<JsonElement>> TrialsAsync(string study) =>
        (await _cli.RunAsync("ls", "--study", study, "--format", "json")).Json().EnumerateArray().ToList();

    [Fact]
    public async Task Pythons_json_with_nan_and_infinity_is_accepted_stored_summarised_and_exported()
    {
        _cli.Write("trial.py", """
            import json, math, os, sys
            x = int(sys.argv[1])
            value = {0: float("nan"), 1: float("inf"), 2: -float("inf")}.get(x, x * 1.5)
            with open(os.environ["EXPT_METRICS"], "w") as m:
                json.dump({"step": 0, "loss": value}, m); m.write("\n")
                json.dump({"step": 1, "loss": 0.5}, m); m.write("\n")
            json.dump({"value": value, "label": "NaN is a word here"}, open(os.environ["EXPT_RESULTS"], "w"))
            """);
        var run = await _cli.RunAsync("run", "--name", "nan", "--set", "x=range(5)", "--", "python3", "trial.py", "{x}");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trials = await TrialsAsync("nan");
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        trials.Select(t => t.GetProperty("results").GetProperty("value").ToString()).ShouldBe(["NaN", "Infinity", "-Infinity", "4.5", "6.0"]);
        trials[0].GetProperty("results").GetProperty("label").GetString().ShouldBe("NaN is a word here");

        var summary = (await _cli.RunAsync("summary", "nan", "--metric", "value", "--by", "x", "--format", "json")).Json().EnumerateArray().ToList();
        summary.Sum(g => g.GetProperty("non_finite").GetInt32()).ShouldBe(3);
        summary.Single(g => g.GetProperty("x").GetInt32() == 3).GetProperty("mean").GetDouble().ShouldBe(4.5);
        var all = (await _cli.RunAsync("summary", "nan", "--metric", "value")).Stdout;
        all.ShouldContain("NON-FINITE");

        var csv = (await _cli.RunAsync("export", "nan", "--what", "trials", "--format", "csv")).Stdout.Split('\n');
        var header = csv[0].Split(',').ToList();
        var column = header.IndexOf("value");
        csv.Skip(1).Take(3).Select(l => l.Split(',')[column]).ShouldBe(["NaN", "inf", "-inf"]);
        var metrics = (await _cli.RunAsync("export", "nan", "--what", "metrics", "--format", "csv")).Stdout;
        metrics.ShouldContain(",loss,0,NaN,");
        var show = await _cli.RunAsync("show", trials[1].GetProperty("id").GetString()!, "--format", "json");
        show.ExitCode.ShouldBe(0, show.ToString());
        JsonDocument.Parse(show.Stdout).RootElement.GetProperty("metrics").GetProperty("loss").GetProperty("count").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Hydra_overrides_refuse_typos_add_and_remove_parameters_and_a_seed_parameter_is_reachable()
    {
        // A PyExperimenter table whose keyfields are dataset and seed, as its users write it.
        _cli.Write("keys.py", """
            import json, os, sys
            json.dump({"seed_param": int(sys.argv[1]), "trial_seed": int(sys.argv[2])}, open(os.environ["EXPT_RESULTS"], "w"))
            """);
        _cli.Write("study.yaml", """
            name: keyfields
            command: python3 keys.py {params.seed} {trial_seed}
            params:
              dataset: [iris]
              seed: [1, 2]
            replications: 1
            """);
        var typo = await _cli.RunAsync("run", "study.yaml", "--set", "replicatons=3");
        typo.ExitCode.ShouldBe(2, typo.ToString());
        typo.Stderr.Trim().ShouldBe("error: --set: replicatons: the study has no key or parameter 'replicatons' (did you mean 'replications'?); --set changes what the study already has: write --set +replicatons=... to add a parameter");
        var foreign = await _cli.RunAsync("run", "study.yaml", "--set", "max_workers=3");
        foreign.ExitCode.ShouldBe(2, foreign.ToString());
        var ambiguous = await _cli.RunAsync("run", "study.yaml", "--set", "seed=3");
        ambiguous.ExitCode.ShouldBe(2);
        ambiguous.Stderr.ShouldContain("write --set params.seed=... for the parameter or --set study.seed=... for the study's seed");
        (await _cli.RunAsync("studies", "--format", "json")).Stdout.ShouldNotContain("keyfields");

        var run = await _cli.RunAsync("run", "study.yaml", "--set", "params.seed=3,4", "--set", "study.seed=11", "--set", "+lr=0.5", "--set", "~dataset");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trials = await TrialsAsync("keyfields");
        trials.Select(t => t.GetProperty("params").ToString()).ShouldBe(["{\"seed\":3,\"lr\":0.5}", "{\"seed\":4,\"lr\":0.5}"]);
        foreach (var trial in trials)
        {
            var results = trial.GetProperty("results");
            results.GetProperty("seed_param").GetInt64().ShouldBe(trial.GetProperty("params").GetProperty("seed").GetInt64());
            results.GetProperty("trial_seed").GetInt64().ShouldBe(trial.GetProperty("seed").GetInt64());
        }

        _cli.Write("bare.yaml", "name: bare\ncommand: echo {seed}\nparams:\n  seed: [1, 2]\n");
        var bare = await _cli.RunAsync("run", "bare.yaml");
        bare.ExitCode.ShouldBe(2);
        bare.Stderr.Trim().ShouldBe("error: bare.yaml:2: command: {seed} is ambiguous: 'seed' is a parameter and also a placeholder every trial has; write {params.seed} for the parameter or {trial_seed} for the trial's seed");

        var fileless = await _cli.RunAsync("run", "--name", "fileless", "--set", "x=1,2", "--", "true");
        fileless.ExitCode.ShouldBe(0, fileless.ToString());
        (await TrialsAsync("fileless")).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Expt_cancel_during_a_run_stops_its_trials_within_a_second_and_the_run_says_so()
    {
        using var run = _cli.Start("run", "--name", "long", "-j", "2", "--set", "x=1,2,3", "--", "sleep", "47.25");
        run.StandardInput.Close();
        await ExptCli.WaitUntilAsync(() =>
        {
            var ls = _cli.RunAsync("ls", "--study", "long", "--status", "running", "--format", "json").GetAwaiter().GetResult();
            return ls.ExitCode == 0 && ls.Json().GetArrayLength() == 2;
        }, TimeSpan.FromSeconds(60), "two trials running");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cancel = await _cli.RunAsync("cancel", "long");
        cancel.ExitCode.ShouldBe(0, cancel.ToString());
        var result = await ExptCli.WaitAsync(run, TimeSpan.FromSeconds(30));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the run ends soon after expt cancel, not when its trials would have finished");
        result.ExitCode.ShouldBe(5, result.ToString());
        result.Stdout.Split('\n').Count(l => l.Contains("cancelled", StringComparison.Ordinal) && l.Contains("cancelled by expt cancel", StringComparison.Ordinal)).ShouldBe(2, result.ToString());
        result.Stdout.ShouldNotContain("not recorded");
        result.Stderr.ShouldContain("2 running trials were cancelled by expt cancel; run them again with: expt retry long");
        var trials = await TrialsAsync("long");
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "cancelled");
        ExptCli.ProcessesRunning("sleep", "47.25").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_yanex_user_names_tags_and_notes_trials_then_lists_and_compares_by_tag_best_first()
    {
        _cli.Write("train.py", """
            import json, os
            lr = float(os.environ["EXPT_PARAM_LR"])
            json.dump({"loss": abs(lr - 0.2) + int(os.environ["EXPT_REPLICATE"]) / 1000}, open(os.environ["EXPT_RESULTS"], "w"))
            if lr >= 0.3:
                with open(os.environ["EXPT_TAGS"], "w") as t:
                    t.write("high-lr\nnot a tag\n")
                with open(os.environ["EXPT_NOTE"], "w") as n:
                    n.write("lr too high\n")
            """);
        _cli.Write("study.yaml", """
            name: yanex
            trial_name: "{dataset}-lr{lr}-r{replicate}"
            command: python3 train.py
            objectives: {loss: minimize}
            params:
              dataset: [digits]
              lr: [0.1, 0.2, 0.4]
            replications: 2
            """);
        var run = await _cli.RunAsync("run", "study.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("tags.txt: 'not a tag': a tag is one word");

        var best = (await _cli.RunAsync("ls", "--study", "yanex", "--sort", "best", "--limit", "2", "--format", "json")).Json().EnumerateArray().ToList();
        best.Select(t => t.GetProperty("name").GetString()).ShouldBe(["digits-lr0.2-r0", "digits-lr0.2-r1"]);
        var worst = (await _cli.RunAsync("ls", "--study", "yanex", "--sort", "-objective", "--limit", "1", "--format", "json")).Json().EnumerateArray().Single();
        worst.GetProperty("name").GetString().ShouldBe("digits-lr0.4-r1");

        var high = (await _cli.RunAsync("ls", "--tag", "high-lr", "--format", "json")).Json().EnumerateArray().ToList();
        high.Count.ShouldBe(2);
        high.ShouldAllBe(t => t.GetProperty("note").GetString() == "lr too high");

        var winner = best[0].GetProperty("id").GetString()!;
        var runnerUp = best[1].GetProperty("id").GetString()!;
        (await _cli.RunAsync("tag", winner, runnerUp, "+best", "+draft")).ExitCode.ShouldBe(0);
        var untag = await _cli.RunAsync("tag", runnerUp, "-draft", "-best");
        untag.ExitCode.ShouldBe(0, untag.ToString());
        untag.Stderr.ShouldContain("tagged 1 trial: -draft, -best");
        (await _cli.RunAsync("note", winner, "the one to publish")).ExitCode.ShouldBe(0);

        var compare = (await _cli.RunAsync("compare", "--tag", "best", "--format", "json")).Json().EnumerateArray().Single();
        compare.GetProperty("id").GetString().ShouldBe(winner);
        compare.GetProperty("note").GetString().ShouldBe("the one to publish");
        compare.GetProperty("tags").GetString().ShouldBe("best,draft");
        var show = await _cli.RunAsync("show", winner);
        show.Stdout.ShouldContain("the one to publish");
        show.Stdout.ShouldContain("digits-lr0.2-r0");

        var bad = await _cli.RunAsync("tag", winner, "+a,b");
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.ShouldContain("a tag is one word");
        (await _cli.RunAsync("compare", "--tag", "nothing")).Stderr.ShouldContain("no trial has the tag 'nothing'");
        (await _cli.RunAsync("note", winner)).ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task A_pyexperimenter_user_fills_a_table_adds_rows_runs_parts_of_it_and_resets_rows_whose_worker_died()
    {
        _cli.Write("run.py", """
            import json, os, sys, time
            dataset, lr = sys.argv[1], float(sys.argv[2])
            if lr > 0.5:
                time.sleep(300)
            json.dump({"score": lr if dataset == "digits" else 2 * lr}, open(os.environ["EXPT_RESULTS"], "w"))
            """);
        _cli.Write("table.yaml", """
            name: table
            command: python3 run.py {dataset} {lr}
            points: []
            params:
              dataset: []
              lr: []
            """);
        var empty = await _cli.RunAsync("run", "table.yaml");
        empty.ExitCode.ShouldBe(0, empty.ToString());
        empty.Stderr.ShouldContain("the study has no trials yet: add points with expt add table");

        var add = await _cli.RunAsync("add", "table", "--set", "dataset=digits", "--set", "lr=0.1,0.2");
        add.ExitCode.ShouldBe(0, add.ToString());
        add.Stderr.ShouldContain("added 2 trials to table");
        var again = await _cli.RunAsync("add", "table", "--set", "dataset=digits,iris", "--set", "lr=0.1");
        again.Stderr.ShouldContain("added 1 trial to table (2 points × 1 replication; 1 already there)");
        var typo = await _cli.RunAsync("add", "table", "--set", "datset=iris", "--set", "lr=0.3");
        typo.ExitCode.ShouldBe(2);
        typo.Stderr.ShouldContain("table has no parameter 'datset' (did you mean 'dataset'?)");
        (await _cli.RunAsync("add", "table", "--set", "lr=0.3")).Stderr.ShouldContain("missing; every point of table sets dataset, lr");
        (await TrialsAsync("table")).Count.ShouldBe(3);

        var digits = await _cli.RunAsync("run", "table.yaml", "--where", "dataset == \"digits\"");
        digits.ExitCode.ShouldBe(0, digits.ToString());
        digits.Stderr.ShouldContain("2 of 3 pending trials match --where");
        var trials = await TrialsAsync("table");
        trials.Count(t => t.GetProperty("status").GetString() == "completed").ShouldBe(2);
        trials.Single(t => t.GetProperty("status").GetString() == "pending").GetProperty("params").GetProperty("dataset").GetString().ShouldBe("iris");

        var iris = await _cli.RunAsync("worker", "--study", "table", "--where", "dataset == \"iris\"");
        iris.ExitCode.ShouldBe(0, iris.ToString());
        (await TrialsAsync("table")).ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");

        (await _cli.RunAsync("add", "table", "--set", "dataset=wine", "--set", "lr=0.9")).ExitCode.ShouldBe(0);
        using var runner = _cli.Start("run", "table.yaml");
        runner.StandardInput.Close();
        await ExptCli.WaitUntilAsync(() => TrialsAsync("table").GetAwaiter().GetResult().Any(t => t.GetProperty("status").GetString() == "running"), TimeSpan.FromSeconds(60), "the wine row to run");
        var live = await _cli.RunAsync("retry", "table", "--status", "running");
        live.ExitCode.ShouldBe(1, live.ToString());
        live.Stderr.ShouldContain("is held by a live worker");
        live.Stderr.ShouldContain($"pid {runner.Id}");
        runner.Kill(); // the executor dies, as a killed PyExperimenter job does
        await runner.WaitForExitAsync();
        var reset = await _cli.RunAsync("retry", "table", "--status", "running");
        reset.ExitCode.ShouldBe(0, reset.ToString());
        reset.Stderr.ShouldContain($"its worker (pid {runner.Id} on this host) is gone");
        reset.Stderr.ShouldContain("reset 1 trial of table to pending");
        (await TrialsAsync("table")).Single(t => t.GetProperty("status").GetString() == "pending").GetProperty("params").GetProperty("lr").GetDouble().ShouldBe(0.9);
    }

    private void Git(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = _cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-c", "user.name=t", "-c", "user.email=t@example.org", .. args])
        {
            info.ArgumentList.Add(arg);
        }
        using var git = System.Diagnostics.Process.Start(info)!;
        git.WaitForExit();
        git.ExitCode.ShouldBe(0, git.StandardError.ReadToEnd());
    }

    [Fact]
    public async Task Each_run_records_the_code_it_ran_so_an_edit_between_runs_shows_in_diff_and_the_resume_warns()
    {
        _cli.Write("trial.py", "import json, os\njson.dump({'v': 1}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        _cli.Write("study.yaml", "name: code\ncommand: python3 trial.py {x}\nparams:\n  x: [1]\n");
        Git("init", "-q");
        Git("add", ".");
        Git("commit", "-q", "-m", "first");
        (await _cli.RunAsync("run", "study.yaml")).ExitCode.ShouldBe(0);
        File.ReadAllText(Path.Combine(_cli.Directory, ".expt", ".gitignore")).ShouldContain("*");

        _cli.Write("trial.py", "import json, os\njson.dump({'v': 2}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        var resumed = await _cli.RunAsync("run", "study.yaml", "--set", "x=1,2");
        resumed.ExitCode.ShouldBe(0, resumed.ToString());
        resumed.Stderr.ShouldContain("warning: the code differs from when code was created (uncommitted changes differ)");

        var trials = await TrialsAsync("code");
        var first = trials.Single(t => t.GetProperty("params").GetProperty("x").GetInt32() == 1).GetProperty("id").GetString()!;
        var second = trials.Single(t => t.GetProperty("params").GetProperty("x").GetInt32() == 2).GetProperty("id").GetString()!;
        var diff = (await _cli.RunAsync("diff", first, second, "--format", "json")).Json().GetProperty("differences").EnumerateArray()
            .ToDictionary(d => d.GetProperty("field").GetString()!, d => (A: d.GetProperty("a").GetString(), B: d.GetProperty("b").GetString()));
        diff.ShouldContainKey("run.git.patch");
        diff["run.git.patch"].B.ShouldNotBeNull().ShouldContain("+json.dump({'v': 2}");
        diff["run.git.dirty"].ShouldBe(("false", "true"));
        diff.Keys.ShouldNotContain("run.git.untracked");
        var show = (await _cli.RunAsync("show", second, "--format", "json")).Json();
        show.GetProperty("run_provenance").GetProperty("git").GetProperty("patch").GetString().ShouldNotBeNull().ShouldContain("'v': 2");
        show.GetProperty("run_provenance").GetProperty("git").GetProperty("untracked").GetArrayLength().ShouldBe(0);

        // Runs with the same code and command share one provenance record; a changed one gets its own.
        var firstRun = (await _cli.RunAsync("show", first, "--format", "json")).Json().GetProperty("run").GetString();
        firstRun.ShouldNotBeNullOrEmpty();
        show.GetProperty("run").GetString().ShouldNotBe(firstRun);
    }

    [Fact]
    public async Task An_orruns_user_merges_arrays_distributions_and_images_across_replications_from_the_cli()
    {
        _cli.Write("solve.py", """
            import base64, json, os
            rep = int(os.environ["EXPT_REPLICATE"]); scale = 1 if os.environ["EXPT_PARAM_METHOD"] == "a" else 2
            vector = [scale * i + rep for i in range(4)]
            json.dump({"cost": sum(vector), "quality": 1 / (1 + sum(vector)), "solution": vector, "samples": [rep, rep + 10]}, open(os.environ["EXPT_RESULTS"], "w"))
            png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
            open(os.path.join(os.environ["EXPT_TRIAL_DIR"], "route.png"), "wb").write(png)
            """);
        _cli.Write("study.yaml", """
            name: orruns
            command: python3 solve.py
            params:
              method: [a, b]
              size: [4]
            replications: 3
            objectives: {quality: maximize, cost: minimize}
            """);
        (await _cli.RunAsync("run", "study.yaml")).ExitCode.ShouldBe(0);

        // Element-wise over the replications: element i of a is mean(i + rep) = i + 1, of b 2i + 1.
        var elementwise = (await _cli.RunAsync("summary", "orruns", "--metric", "solution", "--by", "method", "--format", "json")).Json().EnumerateArray().ToList();
        elementwise.Select(g => g.GetProperty("kind").GetString()).ShouldBe(["elementwise", "elementwise"]);
        elementwise[1].GetProperty("mean").EnumerateArray().Select(v => v.GetDouble()).ShouldBe([1.0, 3.0, 5.0, 7.0]);
        elementwise[0].GetProperty("std").EnumerateArray().Select(v => v.GetDouble()).ShouldAllBe(s => Math.Abs(s - 1) < 1e-12);
        var pooled = (await _cli.RunAsync("summary", "orruns", "--metric", "samples", "--pool", "--by", "method", "--format", "json")).Json()[0];
        pooled.GetProperty("n").GetInt32().ShouldBe(6);
        pooled.GetProperty("p50").GetDouble().ShouldBe(6.0);

        // Ranked by the declared objectives: highest quality first, lowest cost first; both say why.
        var summary = await _cli.RunAsync("summary", "orruns", "--by", "method");
        summary.Stderr.ShouldContain("highest quality (the study's objectives), lowest cost (the study's objectives)");
        var ranked = (await _cli.RunAsync("summary", "orruns", "--by", "method", "--format", "json")).Json().EnumerateArray().ToList();
        ranked.Single(g => g.GetProperty("metric").GetString() == "quality" && g.GetProperty("rank").GetInt32() == 1).GetProperty("params").GetProperty("method").GetString().ShouldBe("a");
        ranked.First().GetProperty("metric").GetString().ShouldBe("quality");

        (await _cli.RunAsync("plot", "orruns", "--metric", "solution", "--by", "method", "-o", "solution.svg")).ExitCode.ShouldBe(0);
        File.ReadAllText(Path.Combine(_cli.Directory, "solution.svg")).ShouldContain("solution by index (mean &#177; std over replications");
        (await _cli.RunAsync("report", "orruns", "--by", "method", "-o", "report.html")).ExitCode.ShouldBe(0);
        var html = File.ReadAllText(Path.Combine(_cli.Directory, "report.html"));
        html.ShouldContain("<h3>method=a <small class=\"meta\">(3 images)</small></h3>");
        html.Split("data:image/png;base64,").Length.ShouldBe(7);
        html.IndexOf("<h2>quality", StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf("<h2>cost", StringComparison.Ordinal));
        html.ShouldContain("higher is better; the study's objective");

        var merged = await _cli.RunAsync("export", "orruns", "--what", "merged", "--by", "method", "-o", "merged");
        merged.ExitCode.ShouldBe(0, merged.ToString());
        var b = Path.Combine(_cli.Directory, "merged", "method=b");
        File.ReadAllLines(Path.Combine(b, "solution.array.csv"))[2].ShouldStartWith("1,3,1,");
        File.ReadAllLines(Path.Combine(b, "solution.array.csv"))[0].ShouldBe("index,mean,std,ci_low,ci_high,n,replicate_0,replicate_1,replicate_2");
        File.ReadAllLines(Path.Combine(b, "samples.pooled.csv")).Length.ShouldBe(7);
        File.ReadAllLines(Path.Combine(b, "scalars.csv"))[0].ShouldBe("replicate,trial,cost,quality");
        Directory.GetFiles(Path.Combine(b, "images"), "*-route.png").Length.ShouldBe(3);
        File.ReadAllLines(Path.Combine(_cli.Directory, "merged", "groups.csv")).ShouldBe(["group,method,trials", "method=a,a,3", "method=b,b,3"]);

        // sweepexp's labelled N-dimensional result: swept parameters and the replicate as axes, constants as attributes.
        var grid = (await _cli.RunAsync("export", "orruns", "--what", "grid", "--format", "json")).Json();
        grid.GetProperty("dims").EnumerateArray().Select(d => d.GetString()).ShouldBe(["method", "replicate"]);
        grid.GetProperty("attrs").GetProperty("size").GetInt32().ShouldBe(4);
        grid.GetProperty("coords").GetProperty("method").GetProperty("data").EnumerateArray().Select(v => v.GetString()).ShouldBe(["a", "b"]);
        grid.GetProperty("data_vars").GetProperty("cost").GetProperty("data")[1].EnumerateArray().Select(v => v.GetDouble()).ShouldBe([12.0, 16.0, 20.0]);
        (await _cli.RunAsync("export", "orruns", "--what", "grid")).Stderr.ShouldContain("add --format json");
    }

    [Fact]
    public async Task Worker_counts_are_read_as_yanex_joblib_and_gnu_parallel_users_write_them()
    {
        var cores = Environment.ProcessorCount;
        _cli.Write("study.yaml", "name: counts\ncommand: \"true\"\nparams:\n  x: range(64)\nparallel: null\n");
        async Task<string> AtOnce(params string[] extra)
        {
            var run = await _cli.RunAsync(["run", "study.yaml", "--dry-run", .. extra]);
            run.ExitCode.ShouldBe(0, run.ToString());
            var enqueue = await _cli.RunAsync(["run", "study.yaml", "--enqueue-only", "--new", .. extra]);
            enqueue.ExitCode.ShouldBe(0, enqueue.ToString());
            return enqueue.Stderr.Split(" to run, ")[1].Split(" at once")[0];
        }
        (await AtOnce()).ShouldBe($"{cores}", "parallel: null is auto: one per core");
        (await AtOnce("-j", "0")).ShouldBe($"{cores}", "-j 0 means all cores, as in yanex and GNU parallel");
        (await AtOnce("-j", "-1")).ShouldBe($"{cores}", "joblib: -1 is all cores");
        (await AtOnce("-j", "-2")).ShouldBe($"{Math.Max(1, cores - 1)}", "joblib: -2 is all but one, the counterfactual runner's max_workers: null");
        (await AtOnce("-j", "3")).ShouldBe("3");
        var bad = await _cli.RunAsync("run", "study.yaml", "-j", "-5000");
        bad.ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task Output_says_what_it_means_quiet_keeps_the_table_styles_are_checked_and_counts_agree()
    {
        _cli.Write("t.py", """
            import json, os, sys
            x = int(sys.argv[1])
            if x == 1:
                sys.exit(3)
            if x != 2:
                json.dump({"v": x}, open(os.environ["EXPT_RESULTS"], "w"))
            """);
        var quiet = await _cli.RunAsync("run", "--name", "out", "-q", "--set", "x=0,1,2", "--", "python3", "t.py", "{x}");
        quiet.ExitCode.ShouldBe(1, quiet.ToString());
        quiet.Stdout.ShouldContain("failed");
        quiet.Stdout.ShouldNotContain("completed ");
        quiet.Stdout.ShouldContain("DONE");
        quiet.Stderr.ShouldContain("3 trials (3 points × 1 replication)");

        var one = await _cli.RunAsync("run", "--name", "one", "--set", "x=0", "--", "python3", "t.py", "{x}");
        one.Stderr.ShouldContain("1 trial (1 point × 1 replication), 1 to run, 1 at once");

        // A failed trial and a completed one without the result are told apart, in JSON and in the table.
        var json = (await _cli.RunAsync("summary", "out", "--metric", "v", "--format", "json")).Json().EnumerateArray().ToList();
        json.Select(g => (g.GetProperty("failed").GetInt32(), g.GetProperty("missing").GetInt32())).ShouldBe([(0, 0), (1, 0), (0, 1)]);
        var table = (await _cli.RunAsync("summary", "out", "--metric", "v")).Stdout.Split('\n');
        table[0].ShouldEndWith("FAILED  MISSING");
        table[2].TrimEnd().ShouldEndWith("1        0");
        table[3].TrimEnd().ShouldEndWith("0        1");

        var bogus = await _cli.RunAsync("--style", "fancy", "studies");
        bogus.ExitCode.ShouldBe(2);
        bogus.Stderr.ShouldContain("error: --style: 'fancy' is not a style; expected auto, rich, plain (or simple) or markdown");
        (await _cli.RunAsync("--style", "simple", "studies")).ExitCode.ShouldBe(0);
        (await _cli.RunAsync("ls", "--study", "out")).Stdout.ShouldContain("STATUS");
    }

    [Fact]
    public async Task A_sparse_study_whose_grid_would_fill_memory_is_refused_before_it_is_built()
    {
        // 60 points on a diagonal of four parameters: a 60⁴ grid (13M cells) for 60 trials.
        var points = string.Join("\n", Enumerable.Range(0, 60).Select(i => $"  - {{a: {i}, b: {i}, c: {i}, d: {i}}}"));
        _cli.Write("study.yaml", "name: sparse\ncommand: \"true\"\npoints:\n" + points + "\n");
        (await _cli.RunAsync("run", "study.yaml", "-q")).ExitCode.ShouldBe(0);
        var grid = await _cli.RunAsync("export", "sparse", "--what", "grid", "--format", "json");
        grid.ExitCode.ShouldBe(2, grid.ToString());
        grid.Stderr.ShouldContain("the grid has 12,960,000 cells (60 × 60 × 60 × 60 × 1)");
        grid.Stdout.ShouldBeEmpty();
    }
}
