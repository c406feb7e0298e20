using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Nothing a trial writes can hang or exhaust Expt: link loops, huge logs and results, hostile metric lines, FIFOs,
/// duplicate keys and terminal escape sequences, each written by a real trial and read back by the real CLI.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TrialOutputHardeningTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<string> OnlyTrialIdAsync(string study)
    {
        var ls = await _cli.RunAsync("ls", "--study", study, "--format", "json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        return ls.Json().EnumerateArray().Single().GetProperty("id").GetString()!;
    }

    private static void NoStackTrace(ExptCli.Result result)
    {
        result.Stderr.ShouldNotContain("   at ", customMessage: result.ToString());
        result.Stderr.ShouldNotContain("Exception", customMessage: result.ToString());
    }

    [Fact]
    public async Task A_symlink_loop_in_a_trial_directory_is_listed_not_followed()
    {
        _cli.Write("outside/keep.txt", "keep");
        var run = await _cli.RunAsync("run", "--name", "loops", "--set", "x=1", "--", "sh", "-c",
            "mkdir -p \"$EXPT_TRIAL_DIR/a/b\" && ln -s .. \"$EXPT_TRIAL_DIR/up\" && ln -s ../.. \"$EXPT_TRIAL_DIR/a/b/loop\" && ln -s \"$PWD/outside\" \"$EXPT_TRIAL_DIR/out\" && echo 1 > \"$EXPT_TRIAL_DIR/a/b/file.txt\"");
        run.ExitCode.ShouldBe(0, run.ToString());
        var id = await OnlyTrialIdAsync("loops");

        var clock = Stopwatch.StartNew();
        var show = await _cli.RunAsync("show", id);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        show.ExitCode.ShouldBe(0, show.ToString());
        show.Stdout.ShouldMatch(@"artifact\s+up -> \.\. \(link, not followed\)");
        show.Stdout.ShouldMatch(@"artifact\s+a/b/loop -> \.\./\.\. \(link, not followed\)");
        show.Stdout.ShouldMatch(@"artifact\s+a/b/file.txt \(2 bytes\)");
        var json = (await _cli.RunAsync("show", id, "--format", "json")).Json();
        json.GetProperty("artifacts").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "up").GetProperty("link").GetString().ShouldBe("..");

        var rm = await _cli.RunAsync("rm", "loops", "--yes");
        rm.ExitCode.ShouldBe(0, rm.ToString());
        File.ReadAllText(Path.Combine(_cli.Directory, "outside", "keep.txt")).ShouldBe("keep");
        Directory.Exists(Path.Combine(_cli.Directory, ".expt", "runs", "loops")).ShouldBeFalse();
    }

    [Fact]
    public async Task Logs_tail_a_200_MB_log_by_seeking_with_little_memory()
    {
        var run = await _cli.RunAsync("run", "--name", "biglog", "--set", "x=1", "--", "sh", "-c", "yes 'a line of the log' | head -n 11000000; echo last-1; echo last-2; echo last-3");
        run.ExitCode.ShouldBe(0, run.ToString());
        var id = await OnlyTrialIdAsync("biglog");
        var (result, peakMiB, seconds) = await PeakAsync("logs", id, "--tail", "3");
        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldBe("last-1\nlast-2\nlast-3\n");
        peakMiB.ShouldBeLessThan(200, $"peak {peakMiB} MiB");
        seconds.ShouldBeLessThan(10);

        var show = await PeakAsync("show", id);
        show.Result.ExitCode.ShouldBe(0, show.Result.ToString());
        show.Result.Stdout.ShouldContain("last-3");
        show.PeakMiB.ShouldBeLessThan(200);
    }

    /// <summary>Runs expt under python's getrusage, for the real peak memory of the whole process.</summary>
    private async Task<(ExptCli.Result Result, double PeakMiB, double Seconds)> PeakAsync(params string[] args)
    {
        const string measure = "import resource, subprocess, sys, time; t = time.time(); r = subprocess.run(sys.argv[1:], capture_output=True); " +
            "sys.stdout.buffer.write(r.stdout); sys.stderr.buffer.write(r.stderr); " +
            "sys.stderr.write('\\nPEAK %d %f\\n' % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.time() - t)); sys.exit(r.returncode)";
        using var process = _cli.StartProgram("python3", ["-c", measure, "dotnet", ExptCli.ExptDll, .. args]);
        process.StandardInput.Close();
        var result = await ExptCli.WaitAsync(process, TimeSpan.FromMinutes(2));
        var line = result.Stderr.Split('\n').Last(l => l.StartsWith("PEAK ", StringComparison.Ordinal)).Split(' ');
        var stderr = result.Stderr[..result.Stderr.LastIndexOf("\nPEAK ", StringComparison.Ordinal)];
        return (result with { Stderr = stderr }, double.Parse(line[1], System.Globalization.CultureInfo.InvariantCulture) / 1024, double.Parse(line[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_results_file_over_the_limit_fails_its_trial_with_a_message()
    {
        _cli.Write("big.py", "import json, os\njson.dump({'x': 'a' * 5000}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        _cli.Write("study.yaml", "name: big\ncommand: python3 big.py\nlimits:\n  results: 2K\n");
        var run = await _cli.RunAsync("run", "study.yaml");
        run.ExitCode.ShouldBe(1, run.ToString());
        NoStackTrace(run);
        var trial = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single();
        trial.GetProperty("status").GetString().ShouldBe("failed");
        trial.GetProperty("error").GetString()!.ShouldStartWith("results.json: results.json is 4.9 KiB, more than the limit of 2 KiB (limits.results in the study file raises it)");
    }

    [Fact]
    public async Task Hostile_results_files_fail_cleanly_and_never_hang()
    {
        var cases = new Dictionary<string, string>
        {
            ["dup"] = "cp dup.json \"$EXPT_RESULTS\"",
            ["nested-dup"] = "cp nested-dup.json \"$EXPT_RESULTS\"",
            ["link"] = "ln -s /dev/zero \"$EXPT_RESULTS\"",
            ["fifo"] = "mkfifo \"$EXPT_RESULTS\"",
            ["array"] = "echo '[1, 2]' > \"$EXPT_RESULTS\"",
            ["deep"] = "python3 -c \"print('{\\\"a\\\":' + '[' * 200 + ']' * 200 + '}')\" > \"$EXPT_RESULTS\"",
            ["dir"] = "mkdir \"$EXPT_RESULTS\"",
        };
        _cli.Write("dup.json", "{\"a\": 1, \"a\": 2}");
        _cli.Write("nested-dup.json", "{\"a\": {\"b\": 1, \"b\": 2}}");
        foreach (var (name, script) in cases)
        {
            var clock = Stopwatch.StartNew();
            var run = await _cli.RunAsync("run", "--name", name, "--set", "x=1", "--", "sh", "-c", script);
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), name);
            NoStackTrace(run);
            run.ExitCode.ShouldBe(1, run.ToString());
            var trial = (await _cli.RunAsync("ls", "--study", name, "--format", "json")).Json().EnumerateArray().Single();
            var (status, error) = (trial.GetProperty("status").GetString(), trial.GetProperty("error").GetString());
            switch (name)
            {
                case "dup" or "nested-dup":
                    status.ShouldBe("failed", name);
                    error.ShouldBe("results.json: the key 'b' appears twice; each value needs its own name".Replace("'b'", name == "dup" ? "'a'" : "'b'", StringComparison.Ordinal));
                    break;
                case "link":
                    status.ShouldBe("failed", name);
                    error.ShouldBe("results.json: results.json is a symbolic link (to /dev/zero); write the file itself");
                    break;
                case "fifo":
                    // Not "completed with no results": a pipe is not where results are, and the trial says so.
                    status.ShouldBe("failed", name);
                    error.ShouldBe("results.json: results.json is a named pipe (FIFO), not a file; write the file itself");
                    break;
                case "array":
                    error.ShouldBe("results.json: expected a JSON object, got array");
                    break;
                case "deep":
                    error.ShouldBe("results.json: nested too deeply");
                    break;
                case "dir":
                    error!.ShouldContain("results.json is a directory");
                    break;
            }
        }
    }

    [Fact]
    public async Task A_50_MB_metric_string_is_refused_without_being_echoed_or_stored()
    {
        var run = await _cli.RunAsync("run", "--name", "hugemetric", "--set", "x=1", "--", "sh", "-c",
            "python3 -c \"import json, os; f = open(os.environ['EXPT_METRICS'], 'w'); f.write(json.dumps({'loss': 'x' * 50000000}) + '\\n'); f.write(json.dumps({'loss': 'y' * 500000}) + '\\n'); f.write(json.dumps({'loss': 0.5}) + '\\n')\"");
        run.ExitCode.ShouldBe(0, run.ToString());
        (run.Stdout.Length + run.Stderr.Length).ShouldBeLessThan(4000);
        run.Stderr.ShouldContain("metrics.jsonl line 1: longer than 1 MiB, skipped");
        run.Stderr.ShouldMatch(@"metrics.jsonl line 2: field 'loss': expected a number, got ""y{59}… \(500,002 characters\)");
        var trial = (await _cli.RunAsync("ls", "--study", "hugemetric", "--format", "json")).Json().EnumerateArray().Single();
        trial.GetProperty("error").GetString()!.Length.ShouldBeLessThan(2000);
        var show = await _cli.RunAsync("show", trial.GetProperty("id").GetString()!);
        show.Stdout.ShouldMatch(@"metric loss\s+1 points, last 0.5");
    }

    [Fact]
    public async Task A_million_bad_metric_lines_keep_20_warnings_and_a_count()
    {
        var run = await _cli.RunAsync("run", "--name", "noisy", "--set", "x=1", "--", "sh", "-c", "yes 'not json' | head -n 100000 > \"$EXPT_METRICS\"");
        run.ExitCode.ShouldBe(0, run.ToString());
        var error = (await _cli.RunAsync("ls", "--study", "noisy", "--format", "json")).Json().EnumerateArray().Single().GetProperty("error").GetString()!;
        var lines = error.Split('\n');
        lines.Length.ShouldBe(21);
        lines[^1].ShouldBe("warning: … and 99,980 more warnings");
    }

    [Fact]
    public async Task Terminal_escape_sequences_are_shown_escaped_never_sent_raw()
    {
        const string esc = "\u001b";
        _cli.Write("esc.py", "import json, os, sys\nsys.stdout.write('clip \\x1b]52;c;cHduZWQ=\\x07 clear \\x1b[2J\\x1b[H done\\n')\nsys.stderr.write('\\x1b]0;pwned\\x07\\x1b[2J')\njson.dump({'r': '\\x1b[31mred'}, open(os.environ['EXPT_RESULTS'], 'w'))\nsys.exit(3)\n");
        _cli.Write("study.yaml", "name: esc\ncommand: python3 esc.py {v}\nparams:\n  v: \"\\e[1mbold\"\n");
        // -v streams what the trial prints: escaped, so an OSC 52 clipboard write or a screen clear is shown, not obeyed.
        var run = await _cli.RunAsync("run", "study.yaml", "-v");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Stdout.ShouldNotContain(esc);
        run.Stderr.ShouldNotContain(esc);
        run.Stdout.ShouldContain("\\e[1mbold");
        run.Stdout.ShouldContain("out| clip \\e]52;c;cHduZWQ=\\x07 clear \\e[2J\\e[H done");
        var id = await OnlyTrialIdAsync("esc");
        foreach (var args in new[] { new[] { "ls" }, ["ls", "--format", "markdown"], ["show", id], ["studies"], ["summary", "esc"] })
        {
            var output = await _cli.RunAsync(args);
            output.Stdout.ShouldNotContain(esc, customMessage: string.Join(' ', args));
            output.Stderr.ShouldNotContain(esc, customMessage: string.Join(' ', args));
        }
        (await _cli.RunAsync("show", id)).Stdout.ShouldContain("\\e]0;pwned\\x07\\e[2J");
        var logs = await _cli.RunAsync("logs", id);
        logs.Stdout.ShouldBe("clip \\e]52;c;cHduZWQ=\\x07 clear \\e[2J\\e[H done\n");
        (await _cli.RunAsync("logs", id, "--stderr", "--tail", "5")).Stdout.ShouldNotContain(esc);
        // --raw is the bytes as written, for a file.
        (await _cli.RunAsync("logs", id, "--raw")).Stdout.ShouldContain(esc + "]52;c;cHduZWQ=");
        // JSON keeps the data, escaped as JSON does.
        (await _cli.RunAsync("ls", "--format", "json")).Stdout.ShouldContain("\\u001b[1mbold");
    }
}
