using System.Text.Json;

namespace Expt.EndToEnd.Tests;

/// <summary>End-to-end: the real expt binary runs real command trials into a real SQLite store.</summary>
[Trait("Category", "Slow")]
public sealed class RunEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private const string Script = """
        import json, os, random, sys
        params = json.loads(os.environ["EXPT_PARAMS"])
        rng = random.Random(int(os.environ["EXPT_SEED"]))
        value = sum(rng.random() for _ in range(1000)) * params["lr"]
        with open(os.environ["EXPT_METRICS"], "w") as m:
            for step in range(3):
                m.write(json.dumps({"step": step, "loss": value / (step + 1)}) + "\n")
        with open(os.environ["EXPT_RESULTS"], "w") as r:
            json.dump({"value": value, "name": params["name"], "depth": params["model"]["depth"], "argv": sys.argv[1:]}, r)
        with open(os.path.join(os.environ["EXPT_TRIAL_DIR"], "solution.txt"), "w") as f:
            f.write("42")
        print("trial", os.environ["EXPT_TRIAL_ID"], "replicate", os.environ["EXPT_REPLICATE"])
        """;

    private const string Study = """
        name: e2e
        tags: [test]
        command: python3 trial.py {lr} "{name} x" {model.depth} {seed} {replicate} {trial_id}
        params:
          lr: [0.5, 1.5]
          name: "123"
          model.depth: [2, 4]
        replications: 2
        seed: 3
        parallel: 2
        """;

    [Fact]
    public async Task A_study_runs_and_every_listing_reports_it()
    {
        _cli.Write("trial.py", Script);
        _cli.Write("study.yaml", Study);
        var run = await _cli.RunAsync("run", "study.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("study e2e created: 8 trials (4 points × 2 replications), 8 to run, 2 at once");
        run.Stdout.ShouldContain("[    8/8] completed");
        // name is the same in every point: said once above the table, not a column.
        run.Stdout.ShouldContain("every point: name=123\nLR   MODEL.DEPTH  DONE");

        var ls = await _cli.RunAsync("ls", "--study", "e2e", "--format", "json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        var trials = ls.Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(8);
        var first = trials[0];
        foreach (var field in new[] { "id", "study", "status", "params", "replicate", "seed", "results", "attempts", "started", "finished", "duration", "host", "pid", "error" })
        {
            first.TryGetProperty(field, out _).ShouldBeTrue(field);
        }
        first.GetProperty("status").GetString().ShouldBe("completed");
        first.GetProperty("params").GetProperty("name").ValueKind.ShouldBe(JsonValueKind.String); // "123" stays a string
        first.GetProperty("params").GetProperty("lr").GetRawText().ShouldBe("0.5");
        first.GetProperty("params").GetProperty("model.depth").GetInt32().ShouldBe(2);
        var results = first.GetProperty("results");
        results.GetProperty("name").GetString().ShouldBe("123");
        results.GetProperty("depth").GetInt32().ShouldBe(2);
        var argv = results.GetProperty("argv").EnumerateArray().Select(a => a.GetString()).ToList();
        argv.ShouldBe(["0.5", "123 x", "2", first.GetProperty("seed").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "0", first.GetProperty("id").GetString()]);
        trials.Select(t => t.GetProperty("seed").GetInt64()).Distinct().Count().ShouldBe(8);

        var show = await _cli.RunAsync("show", first.GetProperty("id").GetString()![..5]);
        show.ExitCode.ShouldBe(0, show.ToString());
        show.Stdout.ShouldMatch(@"metric loss\s+3 points, last [0-9.]+, min [0-9.]+, max [0-9.]+");
        show.Stdout.ShouldContain("--- stdout.log (last lines) ---");
        show.Stdout.ShouldContain($"trial {first.GetProperty("id").GetString()} replicate 0");

        show.Stdout.ShouldMatch(@"\nartifact\s+solution.txt \(2 bytes\)\n");
        var shown = (await _cli.RunAsync("show", first.GetProperty("id").GetString()!, "--format", "json")).Json();
        shown.GetProperty("artifacts")[0].GetProperty("name").GetString().ShouldBe("solution.txt");
        shown.GetProperty("provenance").GetProperty("cores").GetInt32().ShouldBe(Environment.ProcessorCount);
        shown.GetProperty("study_provenance").GetProperty("config").GetProperty("name").GetString().ShouldBe("e2e");

        var csv = await _cli.RunAsync("ls", "--where", "lr > 1 and model.depth == 4", "--format", "csv");
        csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
        csv.Stdout.ShouldStartWith("id,study,status,lr,name,model.depth,replicate,seed,value,result.name,depth,argv,duration,attempts,needs,gpus,usage.cpu_seconds,usage.cpu_efficiency,usage.peak_memory_mb,usage.wall_seconds,usage.energy_wh,usage.co2_g,usage.energy_method\n");

        var studies = await _cli.RunAsync("studies", "--format", "json");
        var study = studies.Json().EnumerateArray().Single();
        study.GetProperty("name").GetString().ShouldBe("e2e");
        study.GetProperty("counts").GetProperty("completed").GetInt32().ShouldBe(8);

        var markdown = await _cli.RunAsync("studies", "--format", "markdown");
        markdown.Stdout.ShouldStartWith("| study | tags | trials | completed | failed | running | pending | cancelled | created | span |\n|---|---|---:|---:|---:|---:|---:|---:|---|---|\n| e2e | test | 8 | 8 | 0 | 0 | 0 | 0 |");

        // Running again resumes: nothing left to run. Widening a sweep runs only the new points.
        var again = await _cli.RunAsync("run", "study.yaml");
        again.Stderr.ShouldContain("study e2e resumed: 8 trials");
        again.Stderr.ShouldContain("nothing was left to run");
        var wider = await _cli.RunAsync("run", "study.yaml", "--set", "lr=0.5,1.5,2.5");
        wider.ExitCode.ShouldBe(0, wider.ToString());
        wider.Stderr.ShouldContain("study e2e resumed: 12 trials (6 points × 2 replications, 4 new), 4 to run");
    }

    [Fact]
    public async Task Failures_and_timeouts_are_recorded_and_retry_resets_them()
    {
        _cli.Write("study.yaml", """
            name: faults
            shell: true
            command: 'if [ {x} = 2 ]; then echo "broken input {x}" >&2; exit 3; fi; if [ {x} = 3 ]; then sleep $(cat delay); fi; echo ok {x}'
            params:
              x: [1, 2, 3, 4]
            timeout: 1s
            parallel: 4
            """);
        _cli.Write("delay", "30");
        var started = DateTime.UtcNow;
        var run = await _cli.RunAsync("run", "study.yaml");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(20)); // the sleeping tree was killed
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Stdout.ShouldContain("failed    ");
        run.Stdout.ShouldContain("exit code 3: broken input 2");
        run.Stdout.ShouldContain("timeout   ");
        run.Stderr.ShouldContain("2 completed, 2 failed, 0 not run");

        var failed = (await _cli.RunAsync("ls", "--status", "failed", "--format", "json")).Json().EnumerateArray().Single();
        failed.GetProperty("error").GetString().ShouldBe("exit code 3\nbroken input 2");
        failed.GetProperty("exit_code").GetInt32().ShouldBe(3);
        var timedOut = (await _cli.RunAsync("ls", "--status", "timeout", "--format", "json")).Json().EnumerateArray().Single();
        timedOut.GetProperty("error").GetString()!.ShouldStartWith("timed out after 1.0s; the process tree was killed");

        var retry = await _cli.RunAsync("retry", "faults", "--status", "timeout");
        retry.Stderr.ShouldContain("reset 1 trial of faults to pending");
        _cli.Write("delay", "0");
        var rerun = await _cli.RunAsync("run", "study.yaml");
        rerun.ExitCode.ShouldBe(1, rerun.ToString()); // x=2 still fails
        rerun.Stderr.ShouldContain("3 completed, 1 failed");
    }

    [Fact]
    public async Task Bad_input_gets_one_line_per_problem_exit_2_and_writes_nothing()
    {
        _cli.Write("bad.yaml", """
            name: bad
            command: echo {lr} {bss}
            params:
              lr: []
              bs: range(10, 0, 1)
            replicatons: 3
            """);
        var run = await _cli.RunAsync("run", "bad.yaml");
        run.ExitCode.ShouldBe(2, run.ToString());
        var lines = run.Stderr.Trim().Split('\n');
        lines.ShouldBe([
            "error: bad.yaml:6: replicatons: unknown key (did you mean 'replications'?); expected one of: name, description, tags, command, shell, workdir, experiment, params, linked, points, exclude, where, samples, replications, seed, parallel, timeout, retries, env, system_info, limits, keep_children, objectives, trial_name, resources, priority, race, python, executor",
            "error: bad.yaml:4: params.lr: empty list; expected at least one value (or, with points: [], a column filled by expt add)",
            "error: bad.yaml:5: params.bs: range(10, 0, 1) is empty: the step goes the wrong way or start equals stop",
            "error: bad.yaml:2: command: unknown placeholder {bss} (did you mean {bs}?); expected a parameter name or one of {seed}, {trial_id}, {replicate}, {trial_dir}, {study}, {params_json}",
        ], ignoreOrder: true);
        run.Stderr.ShouldNotContain("   at ");
        System.IO.Directory.Exists(Path.Combine(_cli.Directory, ".expt")).ShouldBeFalse();

        _cli.Write("broken.yaml", "name: x\ncommand: [unclosed\n");
        var broken = await _cli.RunAsync("run", "broken.yaml");
        broken.ExitCode.ShouldBe(2);
        broken.Stderr.ShouldStartWith("error: broken.yaml:");
        broken.Stderr.ShouldContain("malformed YAML");

        var missing = await _cli.RunAsync("run", "nope.yaml");
        missing.ExitCode.ShouldBe(2);
        missing.Stderr.Trim().ShouldBe("error: nope.yaml: no such study file");

        var where = await _cli.RunAsync("run", "--set", "x=1", "--", "echo", "{x}");
        where.ExitCode.ShouldBe(0, where.ToString());
        var badWhere = await _cli.RunAsync("ls", "--where", "x >");
        badWhere.ExitCode.ShouldBe(2);
        badWhere.Stderr.Trim().ShouldBe("error: --where: the expression ends too early; expected a name, a number or a string");
        var unknown = await _cli.RunAsync("show", "ffffffff");
        unknown.ExitCode.ShouldBe(3);
        unknown.Stderr.Trim().ShouldBe("error: no trial with an id starting 'ffffffff'");
    }

    [Fact]
    public async Task An_incompatible_change_is_refused_and_new_starts_a_version()
    {
        _cli.Write("study.yaml", "name: v\ncommand: echo {x}\nseed: 1\nparams:\n  x: [1, 2]\n");
        (await _cli.RunAsync("run", "study.yaml")).ExitCode.ShouldBe(0);
        var changed = await _cli.RunAsync("run", "study.yaml", "--set", "seed=2");
        changed.ExitCode.ShouldBe(2);
        changed.Stderr.ShouldContain("error: study 'v' already exists in the store with a different seed 1 → 2");
        var versioned = await _cli.RunAsync("run", "study.yaml", "--set", "seed=2", "--new");
        versioned.ExitCode.ShouldBe(0, versioned.ToString());
        versioned.Stderr.ShouldContain("study v-v2 created");
    }

    [Fact]
    public async Task Bad_metric_lines_are_reported_with_trial_line_and_field()
    {
        var run = await _cli.RunAsync("run", "--name", "bad-metrics", "--set", "x=1", "--", "sh", "-c", "printf '{\"loss\": 1}\\n{\"loss\": \"high\"}\\n' > $EXPT_METRICS");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trial = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single();
        var id = trial.GetProperty("id").GetString();
        run.Stderr.ShouldContain($"trial {id}: warning: metrics.jsonl line 2: field 'loss': expected a number, got \"high\"");
        trial.GetProperty("error").GetString().ShouldBe("warning: metrics.jsonl line 2: field 'loss': expected a number, got \"high\"");
    }

    [Fact]
    public async Task A_results_file_that_is_not_an_object_fails_the_trial()
    {
        var run = await _cli.RunAsync("run", "--name", "bad-results", "--set", "x=1", "--", "sh", "-c", "echo '[1, 2]' > $EXPT_RESULTS");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trial = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single();
        trial.GetProperty("status").GetString().ShouldBe("failed");
        trial.GetProperty("error").GetString().ShouldBe("results.json: expected a JSON object, got array");
        var broken = await _cli.RunAsync("run", "--name", "broken-results", "--set", "x=1", "--", "sh", "-c", "echo '{{oops' > $EXPT_RESULTS");
        broken.ExitCode.ShouldBe(1);
        broken.Stdout.ShouldContain("results.json: not valid JSON");
    }

    [Fact]
    public async Task Enqueue_only_then_workers_run_the_study_from_the_store()
    {
        _cli.Write("study.yaml", """
            name: queued
            shell: true
            command: |
              echo "{trial_id} $API_TOKEN" >> runs.log; echo "{\"double\": $(( {x} * 2 ))}" > "$EXPT_RESULTS"
            params:
              x: range(40)
            env:
              API_TOKEN: hunter2
            """);
        var fill = await _cli.RunAsync("run", "study.yaml", "--enqueue-only");
        fill.ExitCode.ShouldBe(0, fill.ToString());
        fill.Stderr.ShouldContain("enqueued only; run the trials with: expt worker --study queued");
        (await _cli.RunAsync("ls", "--status", "pending", "--format", "json")).Json().GetArrayLength().ShouldBe(40);

        var limited = await _cli.RunAsync(ExptCli.ExptDll, ["worker", "--max-trials", "5", "-j", "2"], new Dictionary<string, string> { ["API_TOKEN"] = "hunter2" });
        limited.ExitCode.ShouldBe(0, limited.ToString());
        (await _cli.RunAsync("ls", "--status", "completed", "--format", "json")).Json().GetArrayLength().ShouldBe(5);

        // Two workers from another directory: everything they need comes from the store.
        var elsewhere = System.IO.Directory.CreateTempSubdirectory("expt-worker-").FullName;
        var store = Path.Combine(_cli.Directory, ".expt", "expt.db");
        var secret = new Dictionary<string, string> { ["API_TOKEN"] = "from-worker" };
        var a = _cli.Start(ExptCli.ExptDll, ["worker", "--study", "queued", "--store", store, "-q"], secret);
        var b = _cli.Start(ExptCli.ExptDll, ["worker", "--store", store, "-q", "--idle-exit", "1s"], secret);
        a.StandardInput.Close();
        b.StandardInput.Close();
        var results = await Task.WhenAll(ExptCli.WaitAsync(a, TimeSpan.FromMinutes(1)), ExptCli.WaitAsync(b, TimeSpan.FromMinutes(1)));
        results.ShouldAllBe(r => r.ExitCode == 0);
        System.IO.Directory.Delete(elsewhere, true);
        var trials = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        trials.Select(t => t.GetProperty("results").GetProperty("double").GetInt32()).Order().ShouldBe(Enumerable.Range(0, 40).Select(x => x * 2));
        var runs = File.ReadAllLines(Path.Combine(_cli.Directory, "runs.log"));
        runs.Length.ShouldBe(40);
        runs.Distinct().Count().ShouldBe(40);
        runs.Take(5).ShouldAllBe(line => line.EndsWith(" hunter2", StringComparison.Ordinal)); // the first worker's own environment
        runs.Skip(5).ShouldAllBe(line => line.EndsWith(" from-worker", StringComparison.Ordinal)); // workers use their own secrets
        var spec = (await _cli.RunAsync("show", trials[0].GetProperty("id").GetString()!, "--format", "json")).Stdout;
        spec.ShouldNotContain("hunter2");
    }

    [Fact]
    public async Task A_waiting_worker_runs_a_study_enqueued_after_it_started()
    {
        (await _cli.RunAsync("run", "--name", "first", "--set", "x=1", "--", "true")).ExitCode.ShouldBe(0);
        // Idle long enough for the fill below to land even on a loaded machine.
        using var worker = _cli.Start(ExptCli.ExptDll, ["worker", "--idle-exit", "8s", "-q"]);
        worker.StandardInput.Close();
        await Task.Delay(1000);
        var fill = await _cli.RunAsync("run", "--name", "later", "--set", "x=1,2,3", "--enqueue-only", "--", "sh", "-c", "test {x} -gt 0");
        fill.ExitCode.ShouldBe(0, fill.ToString());
        var result = await ExptCli.WaitAsync(worker, TimeSpan.FromMinutes(1));
        result.ExitCode.ShouldBe(0, result.ToString());
        var later = (await _cli.RunAsync("ls", "--study", "later", "--format", "json")).Json().EnumerateArray().ToList();
        later.Select(t => t.GetProperty("status").GetString()).ShouldBe(["completed", "completed", "completed"]);
    }

    [Fact]
    public async Task A_huge_space_needs_yes()
    {
        var refused = await _cli.RunAsync("run", "--dry-run", "--set", "a=range(1001)", "--set", "b=range(1000)", "--", "echo", "{a}");
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.Trim().ShouldBe("error: --set: params: the study has 1,001,000 points × 1 replication = 1,001,000 trials, more than the limit of 1,000,000 trials; pass --yes to run it anyway");
        var accepted = await _cli.RunAsync("run", "--dry-run", "--yes", "--limit", "0", "--format", "csv", "--set", "a=range(1001)", "--set", "b=range(1000)", "--", "echo", "{a}");
        accepted.ExitCode.ShouldBe(0);
        accepted.Stdout.Count(c => c == '\n').ShouldBe(1_001_001);
    }

    [Fact]
    public async Task Verbose_streams_trial_output_while_capturing_it()
    {
        var run = await _cli.RunAsync("run", "-v", "--name", "loud", "--set", "x=1,2", "--", "sh", "-c", "echo out-{x}; echo err-{x} >&2");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stdout.ShouldMatch(@"[0-9a-f]{8} out\| out-1");
        run.Stdout.ShouldMatch(@"[0-9a-f]{8} err\| err-2");
        var trial = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().First();
        File.ReadAllText(Path.Combine(_cli.Directory, ".expt", "runs", "loud", trial.GetProperty("id").GetString()!, "stdout.log")).ShouldBe("out-1\n");
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_and_stores_nothing()
    {
        var run = await _cli.RunAsync("run", "--dry-run", "--format", "json", "--set", "a=range(0.1, 0.4, 0.1)", "--set", "replications=2", "--", "echo", "{a}");
        run.ExitCode.ShouldBe(0, run.ToString());
        var plan = run.Json().EnumerateArray().ToList();
        plan.Count.ShouldBe(6);
        plan.Select(p => p.GetProperty("params").GetProperty("a").GetRawText()).Distinct().ShouldBe(["0.1", "0.2", "0.3"]);
        run.Stderr.ShouldContain("3 points × 2 replications = 6 trials; nothing was run or stored");
        System.IO.Directory.Exists(Path.Combine(_cli.Directory, ".expt")).ShouldBeFalse();
    }

    [Fact]
    public async Task Sequential_and_parallel_runs_give_identical_trials()
    {
        _cli.Write("trial.py", Script);
        _cli.Write("study.yaml", Study);
        var one = await _cli.RunAsync("run", "study.yaml", "-j", "1", "--store", "one.db", "-q");
        var four = await _cli.RunAsync(ExptCli.ExptDll, ["run", "study.yaml", "-j", "4", "-q"], new Dictionary<string, string> { ["EXPT_STORE"] = "four.db" });
        one.ExitCode.ShouldBe(0, one.ToString());
        four.ExitCode.ShouldBe(0, four.ToString());
        static Dictionary<string, string> Outcomes(ExptCli.Result ls) => ls.Json().EnumerateArray().ToDictionary(
            t => t.GetProperty("key").GetString()!,
            t => t.GetProperty("seed").GetInt64() + " " + t.GetProperty("results").GetProperty("value").GetRawText());
        var sequential = Outcomes(await _cli.RunAsync("ls", "--store", "one.db", "--format", "json"));
        var parallel = Outcomes(await _cli.RunAsync("ls", "--store", "four.db", "--format", "json"));
        File.Exists(Path.Combine(_cli.Directory, "four.db")).ShouldBeTrue(); // EXPT_STORE chose the store
        System.IO.Directory.Exists(Path.Combine(_cli.Directory, ".expt")).ShouldBeFalse();
        sequential.Count.ShouldBe(8);
        parallel.ShouldBe(sequential);
    }

    [Fact]
    public async Task Two_runs_of_one_study_share_the_trials_without_running_any_twice()
    {
        _cli.Write("study.yaml", """
            name: shared
            shell: true
            command: echo "{trial_id} $$" >> runs.log; sleep 0.05
            params:
              x: range(60)
            parallel: 2
            """);
        var a = _cli.Start("run", "study.yaml", "-q");
        var b = _cli.Start("run", "study.yaml", "-q");
        a.StandardInput.Close();
        b.StandardInput.Close();
        var results = await Task.WhenAll(ExptCli.WaitAsync(a, TimeSpan.FromMinutes(2)), ExptCli.WaitAsync(b, TimeSpan.FromMinutes(2)));
        results.ShouldAllBe(r => r.ExitCode == 0);
        var runs = File.ReadAllLines(Path.Combine(_cli.Directory, "runs.log")).Select(l => l.Split(' ')[0]).ToList();
        runs.Count.ShouldBe(60);
        runs.Distinct().Count().ShouldBe(60);
        var ls = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().ToList();
        ls.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed" && t.GetProperty("attempts").GetInt32() == 1);
    }

    [Fact]
    public async Task Rm_asks_and_refuses_without_a_terminal_unless_yes()
    {
        _cli.Write("study.yaml", "name: gone\ncommand: echo {x}\nparams:\n  x: [1]\n");
        (await _cli.RunAsync("run", "study.yaml")).ExitCode.ShouldBe(0);
        var refused = await _cli.RunAsync("rm", "gone");
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("refusing without --yes");
        var removed = await _cli.RunAsync("rm", "gone", "--yes");
        removed.ExitCode.ShouldBe(0, removed.ToString());
        System.IO.Directory.Exists(Path.Combine(_cli.Directory, ".expt", "runs", "gone")).ShouldBeFalse();
        (await _cli.RunAsync("studies", "--format", "json")).Json().GetArrayLength().ShouldBe(0);
    }
}
