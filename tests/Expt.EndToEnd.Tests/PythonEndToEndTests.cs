using System.Text.Json;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Python users' experiments as they write them: a function named in the study (<c>python: train:main</c>), run in warm
/// hosts, compared bit for bit with the same code run as a command; failures that stay in their trial; limits and
/// cancels that reach the forked child; the package on every trial's path; results read back with <c>expt.load</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PythonEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // random, the trial's own seed and a loop of step metrics: what differs between runs if anything differs.
    private const string Train = """
        import math, os, random
        import expt

        def main(x, opt, scale=1.0):
            rng = random.Random(expt.seed)
            total = 0.0
            for step in range(5):
                total += rng.gauss(x, scale) + random.random()
                expt.log(step=step, total=total)
            if opt == "b":
                expt.tag("opt-b")
            return {"total": total, "root": math.sqrt(abs(total)), "seed": expt.seed, "replicate": expt.replicate,
                    "nan": float("nan"), "curve": [x, x * 2]}

        if __name__ == "__main__":
            expt.run(main)
        """;

    private const string Space = """
        params:
          x: [1, 2, 3]
          opt: [a, b]
        replications: 3
        """;

    private async Task<List<JsonElement>> TrialsAsync(string study)
    {
        var ls = await _cli.RunAsync("export", study, "--format", "json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        return [.. ls.Json().EnumerateArray()];
    }

    // What a trial computed: parameters, replicate, seed, results and metrics, in plan order.
    private async Task<List<string>> ComputedAsync(string study)
    {
        var trials = await TrialsAsync(study);
        var metrics = await _cli.RunAsync("export", study, "--what", "metrics", "--format", "csv");
        return [.. trials.Select(t => $"{t.GetProperty("status")} {t.GetProperty("params")} {t.GetProperty("replicate")} {t.GetProperty("seed")} {t.GetProperty("results")} {string.Join(",", t.GetProperty("tags").EnumerateArray())}"), metrics.Stdout.Split('\n').Length.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }

    [Fact]
    public async Task A_function_gives_the_same_results_bit_for_bit_as_the_same_code_run_as_a_command_in_every_mode()
    {
        _cli.Write("train.py", Train);
        _cli.Write("command.yaml", "name: same\ncommand: python3 train.py\n" + Space);
        var command = await _cli.RunAsync("run", "command.yaml", "-q");
        command.ExitCode.ShouldBe(0, command.ToString());
        var expected = await ComputedAsync("same");
        expected.Count.ShouldBe(19);
        expected.ShouldAllBe(line => line.StartsWith("completed", StringComparison.Ordinal) || !line.Contains(' ', StringComparison.Ordinal));
        foreach (var (mode, index) in new[] { "fork", "inline", "fresh" }.Select((m, i) => (m, i)))
        {
            // The same study name in another store: the same seeds.
            var store = Path.Combine(_cli.Directory, $"store-{mode}.db");
            _cli.Write($"{mode}.yaml", $"name: same\npython: {{function: train:main, mode: {mode}}}\n" + Space);
            var run = await _cli.RunAsync("run", $"{mode}.yaml", "-q", "--store", store);
            run.ExitCode.ShouldBe(0, run.ToString());
            var export = await _cli.RunAsync("export", "same", "--format", "json", "--store", store);
            var metrics = await _cli.RunAsync("export", "same", "--what", "metrics", "--format", "csv", "--store", store);
            var computed = export.Json().EnumerateArray().Select(t => $"{t.GetProperty("status")} {t.GetProperty("params")} {t.GetProperty("replicate")} {t.GetProperty("seed")} {t.GetProperty("results")} {string.Join(",", t.GetProperty("tags").EnumerateArray())}")
                .Append(metrics.Stdout.Split('\n').Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            computed.ShouldBe(expected, $"mode {mode} ({index})");
        }
        // And the function's module is recorded with the study: its file and hash.
        var forkStore = Path.Combine(_cli.Directory, "store-fork.db");
        var first = (await _cli.RunAsync("export", "same", "--format", "json", "--store", forkStore)).Json()[0].GetProperty("id").GetString()!;
        var show = await _cli.RunAsync("show", first, "--store", forkStore, "--format", "json");
        show.Json().GetProperty("run_provenance").GetProperty("python").GetProperty("function").GetString().ShouldBe("train:main");
        show.Stdout.ShouldContain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_cli.Directory, "train.py")))));
    }

    [Fact]
    public async Task A_crash_a_timeout_and_an_exception_fail_alone_and_the_next_trials_run()
    {
        _cli.Write("bad.py", """
            import ctypes, os, time

            def check(kind):
                if kind == "raise":
                    raise ValueError("kind %s is not allowed" % kind)

            def main(kind, i):
                if i == 0:
                    if kind == "segv":
                        ctypes.string_at(0)
                    if kind == "hang":
                        time.sleep(600)
                    check(kind)
                    if kind == "exit":
                        os._exit(3)
                return {"ok": i}
            """);
        _cli.Write("bad.yaml", """
            name: bad
            python: bad:main
            parallel: 1
            timeout: 2s
            params:
              kind: [segv, hang, raise, exit]
              i: [0, 1]
            """);
        var run = await _cli.RunAsync("run", "bad.yaml", "-q");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = await TrialsAsync("bad");
        string Of(string kind, int i, string field) => trials.Single(t => t.GetProperty("params").GetProperty("kind").GetString() == kind && t.GetProperty("params").GetProperty("i").GetInt32() == i).GetProperty(field).ToString();
        foreach (var kind in new[] { "segv", "hang", "raise", "exit" })
        {
            Of(kind, 1, "status").ShouldBe("completed", kind);
        }
        Of("segv", 0, "status").ShouldBe("failed");
        Of("segv", 0, "error").ShouldStartWith("killed by signal 11 (SIGSEGV: the interpreter crashed)");
        Of("segv", 0, "error").ShouldContain("bad.py\", line 10 in main"); // faulthandler's Python frames
        Of("hang", 0, "status").ShouldBe("timeout");
        Of("hang", 0, "error").ShouldStartWith("timed out after 2.0s");
        Of("exit", 0, "error").ShouldStartWith("exit code 3");
        var error = Of("raise", 0, "error");
        error.ShouldStartWith("ValueError: kind raise is not allowed\nTraceback (most recent call last):\n  File ");
        error.ShouldContain("line 13, in main");
        error.ShouldContain("line 5, in check");
        error.ShouldNotContain("expt/_call.py");
        error.ShouldNotContain("expt/_host.py");
        var id = trials.Single(t => t.GetProperty("error").ToString().StartsWith("ValueError", StringComparison.Ordinal)).GetProperty("id").GetString()!;
        (await _cli.RunAsync("show", id)).Stdout.ShouldContain("ValueError: kind raise is not allowed");
        (await _cli.RunAsync("ls", "--study", "bad", "--status", "failed")).Stdout.ShouldContain("ValueError: kind raise is not allowed");
    }

    [Fact]
    public async Task Memory_limit_and_expt_cancel_reach_the_forked_child()
    {
        _cli.Write("heavy.py", """
            import os, time

            def main(kind):
                with open("pid-%s" % kind, "w") as f:
                    f.write(str(os.getpid()))
                if kind == "eat":
                    block = bytearray(300 * 1024 * 1024)
                    for i in range(0, len(block), 4096):
                        block[i] = 1
                if kind == "wait":
                    time.sleep(600)
                return {"done": 1}
            """);
        _cli.Write("heavy.yaml", """
            name: heavy
            python: heavy:main
            parallel: 1
            resources:
              memory_limit: 150M
            params:
              kind: [eat, fine]
            """);
        var run = await _cli.RunAsync("run", "heavy.yaml", "-q");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = await TrialsAsync("heavy");
        var eat = trials.Single(t => t.GetProperty("params").GetProperty("kind").GetString() == "eat");
        eat.GetProperty("status").GetString().ShouldBe("failed");
        eat.GetProperty("error").GetString()!.ShouldStartWith("out of memory: ");
        eat.GetProperty("error").GetString()!.ShouldContain("memory_limit of 150 MiB");
        trials.Single(t => t.GetProperty("params").GetProperty("kind").GetString() == "fine").GetProperty("status").GetString().ShouldBe("completed");
        // Measured in its own groups: the child's own memory, not the warm host's.
        var fine = trials.Single(t => t.GetProperty("params").GetProperty("kind").GetString() == "fine").GetProperty("usage");
        fine.GetProperty("peak_memory_bytes").GetInt64().ShouldBeLessThan(100L << 20);

        _cli.Write("wait.yaml", "name: wait\npython: heavy:main\nparallel: 1\nparams:\n  kind: [wait]\n");
        using var waiting = _cli.Start("run", "wait.yaml", "-q");
        waiting.StandardInput.Close();
        var pidFile = Path.Combine(_cli.Directory, "pid-wait");
        await ExptCli.WaitUntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Length > 0, TimeSpan.FromSeconds(60), "the trial started");
        var child = int.Parse(File.ReadAllText(pidFile), System.Globalization.CultureInfo.InvariantCulture);
        Directory.Exists($"/proc/{child}").ShouldBeTrue();
        var cancel = await _cli.RunAsync("cancel", "wait");
        cancel.ExitCode.ShouldBe(0, cancel.ToString());
        var result = await ExptCli.WaitAsync(waiting, TimeSpan.FromSeconds(30));
        result.ExitCode.ShouldBe(5, result.ToString());
        await ExptCli.WaitUntilAsync(() => !Directory.Exists($"/proc/{child}") || File.ReadAllText($"/proc/{child}/stat").Contains(" Z ", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the forked child ended");
        (await TrialsAsync("wait")).Single().GetProperty("status").GetString().ShouldBe("cancelled");
    }

    [Fact]
    public async Task A_module_changed_during_a_run_is_imported_again_never_run_stale()
    {
        _cli.Write("ver.py", """
            VERSION = 1

            def main(i):
                if i == 0:
                    with open(__file__) as f:
                        source = f.read()
                    with open(__file__, "w") as f:
                        f.write(source.replace("VERSION = 1", "VERSION = 22"))
                return {"version": VERSION}
            """);
        _cli.Write("ver.yaml", "name: ver\npython: ver:main\nparallel: 1\nparams:\n  i: [0, 1, 2]\n");
        var run = await _cli.RunAsync("run", "ver.yaml", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        (await TrialsAsync("ver")).Select(t => t.GetProperty("results").GetProperty("version").GetInt32()).ShouldBe([1, 22, 22]);
    }

    [Fact]
    public async Task List_and_mapping_values_reach_a_python_function_and_a_command_as_json_and_where_tests_them()
    {
        _cli.Write("net.py", """
            def main(hidden_layers, optim):
                assert isinstance(hidden_layers, list) and isinstance(optim, dict), (hidden_layers, optim)
                return {"depth": len(hidden_layers), "width": sum(hidden_layers), "opt": optim["name"], "lr": optim["lr"]}
            """);
        _cli.Write("net.yaml", """
            name: net
            python: net:main
            params:
              hidden_layers: [[64, 32], [128, 64, 32]]
              optim: [{name: adam, lr: 0.001}, {name: sgd, lr: 0.1}]
            where: len(hidden_layers) == 3 or optim.name == 'adam'
            """);
        var run = await _cli.RunAsync("run", "net.yaml", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stdout.ShouldContain("[128,64,32]");
        var trials = await TrialsAsync("net");
        trials.Select(t => $"{t.GetProperty("params").GetProperty("hidden_layers").GetRawText()} {t.GetProperty("results").GetProperty("opt").GetString()} {t.GetProperty("results").GetProperty("width").GetInt32()}")
            .Order(StringComparer.Ordinal).ShouldBe(["[128,64,32] adam 224", "[128,64,32] sgd 224", "[64,32] adam 96"]);

        // The same values through a command: the placeholder and EXPT_PARAMS as JSON.
        _cli.Write("cmd.yaml", """
            name: cmd
            command: python3 -c "import expt, json, os, sys; p = json.loads(os.environ['EXPT_PARAMS']); expt.result(arg=sys.argv[1], opt=sys.argv[2], first=p['hidden_layers'][0], lr=p['optim']['lr'])" {hidden_layers} {optim}
            params:
              hidden_layers: [[64, 32]]
              optim: [{name: adam, lr: 0.001}]
            """);
        var cmd = await _cli.RunAsync("run", "cmd.yaml", "-q");
        cmd.ExitCode.ShouldBe(0, cmd.ToString());
        var results = (await TrialsAsync("cmd")).Single().GetProperty("results");
        results.GetProperty("arg").GetString().ShouldBe("[64,32]");
        results.GetProperty("opt").GetString().ShouldBe("""{"name":"adam","lr":0.001}""");
        results.GetProperty("first").GetInt32().ShouldBe(64);

        var deep = await _cli.RunAsync("ls", "--study", "net", "--where", "hidden_layers[0] == 128 and optim.name == 'sgd'", "--format", "csv");
        deep.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2, deep.ToString());
        var csv = await _cli.RunAsync("export", "net", "--format", "csv");
        csv.Stdout.ShouldContain("\"[64,32]\",adam,0.001");
    }

    [Fact]
    public async Task Import_expt_works_in_every_trial_with_no_install_and_expt_load_returns_what_export_does()
    {
        // A command trial, with nothing on PYTHONPATH but what Expt puts there.
        _cli.Write("plain.yaml", """
            name: plain
            command: python3 -c "import expt, math; expt.log(step=0, v=1); expt.result(x=expt.params.x, r=expt.replicate, inf=math.inf, nan=math.nan, label=expt.params.s)"
            env:
              PYTHONPATH: ""
            params:
              x: [1, 2.5]
              s: ["a,b"]
            replications: 2
            """);
        var run = await _cli.RunAsync("run", "plain.yaml", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        var exported = await TrialsAsync("plain");
        exported.Count.ShouldBe(4);
        exported[0].GetProperty("results").GetProperty("inf").GetString().ShouldBe("Infinity");

        var package = Path.Combine(AppContext.BaseDirectory, "python");
        _cli.Write("load.py", """
            import json, math, expt
            rows = expt.load("plain", store=".expt/expt.db", as_pandas=False)
            def plain(v):
                if isinstance(v, float) and not math.isfinite(v):
                    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
                return v
            print(json.dumps([{k: plain(v) for k, v in r.items() if k not in ("started", "finished")} for r in rows]))
            """);
        var loaded = await _cli.RunProgramAsync("/usr/bin/python3", ["load.py"], new Dictionary<string, string> { ["PYTHONPATH"] = package });
        loaded.ExitCode.ShouldBe(0, loaded.ToString());
        var rows = loaded.Json().EnumerateArray().ToList();
        rows.Count.ShouldBe(exported.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, trial) = (rows[i], exported[i]);
            row.GetProperty("id").GetString().ShouldBe(trial.GetProperty("id").GetString());
            row.GetProperty("status").GetString().ShouldBe(trial.GetProperty("status").GetString());
            row.GetProperty("seed").GetInt64().ShouldBe(trial.GetProperty("seed").GetInt64());
            row.GetProperty("replicate").GetInt32().ShouldBe(trial.GetProperty("replicate").GetInt32());
            // What the trial used, and its estimated energy, as export has them.
            row.GetProperty("usage.energy_wh").GetDouble().ShouldBe(trial.GetProperty("usage").GetProperty("energy_wh").GetDouble());
            row.GetProperty("usage.energy_method").GetString().ShouldBe(trial.GetProperty("usage").GetProperty("energy_method").GetString());
            foreach (var p in trial.GetProperty("params").EnumerateObject())
            {
                JsonElement.DeepEquals(row.GetProperty(p.Name), p.Value).ShouldBeTrue(p.Name);
            }
            foreach (var r in trial.GetProperty("results").EnumerateObject())
            {
                JsonElement.DeepEquals(row.GetProperty(r.Name), r.Value).ShouldBeTrue($"{r.Name}: {row.GetProperty(r.Name)} vs {r.Value}");
            }
            // Both round the stored milliseconds to 6 decimals of a second, each its own way: a unit apart at most.
            row.GetProperty("duration").GetDouble().ShouldBe(trial.GetProperty("duration").GetDouble(), 2e-6);
        }
    }

    [Fact]
    public async Task Expt_summary_from_python_gives_the_numbers_of_expt_summary()
    {
        _cli.Write("train.py", Train);
        _cli.Write("fn.yaml", "name: fn\npython: train:main\n" + Space);
        (await _cli.RunAsync("run", "fn.yaml", "-q")).ExitCode.ShouldBe(0);
        var cli = (await _cli.RunAsync("summary", "fn", "--metric", "total", "--format", "json")).Json().EnumerateArray().ToList();
        _cli.Write("summary.py", """
            import json, expt
            print(json.dumps(list(expt.summary("fn", metric="total", as_pandas=False))))
            """);
        var python = await _cli.RunProgramAsync("/usr/bin/python3", ["summary.py"], new Dictionary<string, string> { ["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "python") });
        python.ExitCode.ShouldBe(0, python.ToString());
        var rows = python.Json().EnumerateArray().ToList();
        rows.Count.ShouldBe(cli.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var name in new[] { "n", "rank", "failed", "missing", "non_finite" })
            {
                rows[i].GetProperty(name).GetInt32().ShouldBe(cli[i].GetProperty(name).GetInt32(), name);
            }
            foreach (var name in new[] { "mean", "std", "sem", "ci_low", "ci_high", "min", "median", "max" })
            {
                rows[i].GetProperty(name).GetDouble().ShouldBe(cli[i].GetProperty(name).GetDouble(), Math.Abs(cli[i].GetProperty(name).GetDouble()) * 1e-12, name);
            }
            JsonElement.DeepEquals(rows[i].GetProperty("params"), cli[i].GetProperty("params")).ShouldBeTrue(rows[i].GetProperty("params").GetRawText());
        }
    }

    [Fact]
    public async Task A_mistake_in_the_python_key_is_one_line_with_file_line_and_key_and_nothing_is_stored()
    {
        _cli.Write("train.py", Train);
        var cases = new Dictionary<string, string>
        {
            ["name: m\npython: train\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python: expected module:function or path/to/file.py:function, got train",
            ["name: m\npython: missing.py:main\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python: no file ",
            ["name: m\npython: {function: train:main, mode: threads}\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python.mode: expected fork, inline or fresh, got 'threads'",
            ["name: m\npython: {function: train:main, preload: [\"numpy; rm -rf\"]}\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python.preload: expected a module name",
            ["name: m\npython: train:main\ncommand: python3 train.py\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python: a study runs one of 'command', 'python' and 'experiment'; this one also has 'command'",
            ["name: m\npython: {fn: train:main}\nparams:\n  x: [1]\n"] = "error: m.yaml:2: python.fn: unknown key",
        };
        foreach (var (yaml, expected) in cases)
        {
            _cli.Write("m.yaml", yaml);
            var run = await _cli.RunAsync("run", "m.yaml");
            run.ExitCode.ShouldBe(2, run.ToString());
            run.Stderr.Trim().ShouldStartWith(expected);
            run.Stderr.Trim().Split('\n').Length.ShouldBe(1, run.Stderr);
        }
        (await _cli.RunAsync("studies", "--format", "json")).Stdout.ShouldNotContain("\"m\"");

        // A module that cannot be imported fails each trial with the import error, never a stack trace of Expt's.
        _cli.Write("broken.py", "import no_such_module_anywhere\n\ndef main(x):\n    return {}\n");
        _cli.Write("broken.yaml", "name: broken\npython: broken:main\nparams:\n  x: [1, 2]\n");
        var broken = await _cli.RunAsync("run", "broken.yaml", "-q");
        broken.ExitCode.ShouldBe(1, broken.ToString());
        (await TrialsAsync("broken")).ShouldAllBe(t => t.GetProperty("error").GetString()!.StartsWith("importing broken:main failed: ModuleNotFoundError: No module named 'no_such_module_anywhere'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_parquet_export_has_typed_columns_and_arrays_as_lists_as_duckdb_reads_them()
    {
        _cli.Write("train.py", Train);
        _cli.Write("fn.yaml", "name: pq\npython: train:main\n" + Space);
        (await _cli.RunAsync("run", "fn.yaml", "-q")).ExitCode.ShouldBe(0);
        (await _cli.RunAsync("export", "pq", "--format", "parquet")).Stderr.Trim().ShouldBe("error: --format parquet writes a binary file: add -o trials.parquet");
        var export = await _cli.RunAsync("export", "pq", "--format", "parquet", "-o", "trials.parquet");
        export.ExitCode.ShouldBe(0, export.ToString());
        var json = await TrialsAsync("pq");

        using var duck = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
        duck.Open();
        using var describe = duck.CreateCommand();
        describe.CommandText = $"DESCRIBE SELECT * FROM read_parquet('{Path.Combine(_cli.Directory, "trials.parquet")}')";
        var types = new Dictionary<string, string>();
        using (var reader = describe.ExecuteReader())
        {
            while (reader.Read())
            {
                types[reader.GetString(0)] = reader.GetString(1);
            }
        }
        types["id"].ShouldBe("VARCHAR");
        types["x"].ShouldBe("BIGINT");
        types["opt"].ShouldBe("VARCHAR");
        types["total"].ShouldBe("DOUBLE");
        types["seed"].ShouldBe("BIGINT");
        types["result.replicate"].ShouldBe("BIGINT");
        types["curve"].ShouldBe("BIGINT[]".Replace("BIGINT", "DOUBLE", StringComparison.Ordinal));
        types["started"].ShouldStartWith("TIMESTAMP");
        using var query = duck.CreateCommand();
        query.CommandText = $"SELECT id, total, curve, isnan(nan), tags, duration FROM read_parquet('{Path.Combine(_cli.Directory, "trials.parquet")}')";
        using var rows = query.ExecuteReader();
        var i = 0;
        while (rows.Read())
        {
            var trial = json[i++];
            rows.GetString(0).ShouldBe(trial.GetProperty("id").GetString());
            rows.GetDouble(1).ShouldBe(trial.GetProperty("results").GetProperty("total").GetDouble());
            var curve = (System.Collections.IList)rows.GetValue(2);
            curve.Cast<object>().Select(Convert.ToDouble).ShouldBe(trial.GetProperty("results").GetProperty("curve").EnumerateArray().Select(v => v.GetDouble()));
            rows.GetBoolean(3).ShouldBeTrue();
            (rows.IsDBNull(4) ? string.Empty : rows.GetString(4)).ShouldBe(string.Join(' ', trial.GetProperty("tags").EnumerateArray().Select(t => t.GetString())));
            rows.GetDouble(5).ShouldBe(trial.GetProperty("duration").GetDouble(), 1e-6);
        }
        i.ShouldBe(18);
    }

    [Fact]
    public async Task The_package_builds_as_a_wheel_that_pip_installs_and_imports()
    {
        var wheel = await _cli.RunAsync("python", "wheel", "-o", "dist");
        wheel.ExitCode.ShouldBe(0, wheel.ToString());
        var file = wheel.Stdout.Trim();
        Path.GetFileName(file).ShouldBe("expt-0.1.0-py3-none-any.whl");
        _cli.Write("check.py", """
            import base64, hashlib, sys, zipfile
            wheel = zipfile.ZipFile(sys.argv[1])
            names = set(wheel.namelist())
            record = wheel.read("expt-0.1.0.dist-info/RECORD").decode().splitlines()
            for line in record:
                path, digest, size = line.rsplit(",", 2)
                if path.endswith("RECORD"):
                    continue
                data = wheel.read(path)
                assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), path
                assert int(size) == len(data), path
                names.discard(path)
            assert names == {"expt-0.1.0.dist-info/RECORD"}, names
            sys.path.insert(0, sys.argv[1])
            import expt
            assert expt.__file__.startswith(sys.argv[1]), expt.__file__
            print(expt.__version__, len(record))
            """);
        var check = await _cli.RunProgramAsync("/usr/bin/python3", ["check.py", file]);
        check.ExitCode.ShouldBe(0, check.ToString());
        check.Stdout.Trim().ShouldBe("0.1.0 12");
        // Built twice, the same bytes: a wheel depends on the package only.
        var first = await File.ReadAllBytesAsync(file);
        (await _cli.RunAsync("python", "wheel", "-o", "dist")).ExitCode.ShouldBe(0);
        (await File.ReadAllBytesAsync(file)).ShouldBe(first);
        // pip, where there is one, installs it.
        var pip = await _cli.RunProgramAsync("python3", ["-m", "pip", "--version"]);
        if (pip.ExitCode == 0)
        {
            var install = await _cli.RunProgramAsync("python3", ["-m", "pip", "install", "--no-index", "--quiet", "--target", "site", file]);
            install.ExitCode.ShouldBe(0, install.ToString());
            File.Exists(Path.Combine(_cli.Directory, "site", "expt", "_host.py")).ShouldBeTrue();
        }
        var path = await _cli.RunAsync("python", "path");
        File.Exists(Path.Combine(path.Stdout.Trim(), "expt", "__init__.py")).ShouldBeTrue();
    }

    [Fact]
    public async Task The_quickstart_example_runs_as_function_trials_and_its_script_alone_gives_the_same_result()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Expt.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        }
        foreach (var file in new[] { "expt.yaml", "anneal.py" })
        {
            File.Copy(Path.Combine(root, "examples", "quickstart", file), Path.Combine(_cli.Directory, file));
        }
        var run = await _cli.RunAsync("run", "expt.yaml", "--set", "iters=400", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trials = await TrialsAsync("quickstart");
        trials.Count.ShouldBe(30);
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        var ackley = trials.First(t => t.GetProperty("params").GetProperty("problem").GetString() == "ackley"
            && t.GetProperty("params").GetProperty("cooling").GetDouble() == 0.9);
        var stored = ackley.GetProperty("results").GetProperty("best").GetDouble();

        // The same file, run by hand with that trial's seed: the package reads it, runs the function, prints the result.
        var path = (await _cli.RunAsync("python", "path")).Stdout.Trim();
        var alone = await _cli.RunProgramAsync("python3", ["anneal.py", "problem=ackley", "cooling=0.9", "iters=400"],
            new Dictionary<string, string> { ["PYTHONPATH"] = path, ["EXPT_SEED"] = ackley.GetProperty("seed").ToString() });
        alone.ExitCode.ShouldBe(0, alone.ToString());
        var line = alone.Stdout.Split('\n').Single(l => l.StartsWith("result: ", StringComparison.Ordinal));
        var best = line.Split(' ').Single(w => w.StartsWith("best=", StringComparison.Ordinal))["best=".Length..];
        double.Parse(best, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(stored);
    }
}
