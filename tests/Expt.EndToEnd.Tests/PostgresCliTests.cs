using Npgsql;

namespace Expt.EndToEnd.Tests;

/// <summary>Every-day commands against a PostgreSQL store, as a user on several machines would use them.</summary>
[Trait("Category", "Slow")]
public sealed class PostgresCliTests : IDisposable
{
    private readonly ExptCli _cli = new();
    private readonly ExptCli _elsewhere = new();

    public void Dispose()
    {
        _cli.Dispose();
        _elsewhere.Dispose();
    }

    private const string Study = """
        name: pgstudy
        shell: true
        command: 'echo "trial {x} says hi"; echo "{{\"y\": {x}}}" > "$EXPT_RESULTS"; echo plot > "$EXPT_TRIAL_DIR/plot.txt"'
        params:
          x: range(3)
        """;

    private static string Url(string connectionString, bool withPassword)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var user = withPassword ? $"{b.Username}:{b.Password}" : b.Username;
        return $"postgresql://{user}@{b.Host}:{b.Port}/{b.Database}?search_path={b.SearchPath}";
    }

    [Fact]
    public async Task A_nul_a_trial_writes_is_stored_as_a_replacement_character_and_one_typed_is_refused()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        var run = await _cli.RunAsync("run", "--name", "nul", "--store", store, "--set", "x=1", "--", "sh", "-c",
            "printf 'a\\000b' > \"$EXPT_NOTE\"; printf 'err\\000or\\n' >&2; printf '{\"l\\\\u0000x\": 1}\\n' > \"$EXPT_METRICS\"; exit 3");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Stderr.ShouldNotContain("store failed");
        var trial = (await _cli.RunAsync("ls", "--store", store, "--format", "json")).Json().EnumerateArray().Single();
        trial.GetProperty("note").GetString().ShouldBe("a\uFFFDb");
        trial.GetProperty("error").GetString()!.ShouldContain("err\uFFFDor");
        (await _cli.RunAsync("export", "nul", "--store", store, "--what", "metrics")).Stdout.Trim().ShouldBe("trial,x,replicate,metric,step,value,time");
        var id = trial.GetProperty("id").GetString()!;
        using var note = _cli.Start("note", id, "-", "--store", store);
        await note.StandardInput.WriteAsync("one\0two");
        note.StandardInput.Close();
        var typed = await ExptCli.WaitAsync(note, TimeSpan.FromSeconds(60));
        typed.ExitCode.ShouldBe(2, typed.ToString());
        typed.Stderr.Trim().ShouldBe("error: the note holds a NUL character, which no store keeps; a note is text");
    }

    [Fact]
    public async Task A_study_run_on_one_machine_is_listed_shown_and_its_logs_read_on_another()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        _cli.Write("study.yaml", Study);
        var run = await _cli.RunAsync("run", "study.yaml", "--store", Url(store, withPassword: true));
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldNotContain(new NpgsqlConnectionStringBuilder(store).Password!);

        // "Another machine": an empty directory, no trial directories; files come from the database.
        var ls = await _elsewhere.RunAsync("ls", "--store", store, "--format", "json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        var trials = ls.Json().EnumerateArray().ToList();
        trials.Select(t => t.GetProperty("results").GetProperty("y").GetInt32()).ShouldBe([0, 1, 2]);
        var id = trials[1].GetProperty("id").GetString()!;
        var logs = await _elsewhere.RunAsync("logs", id, "--store", store);
        logs.Stdout.ShouldBe("trial 1 says hi\n", logs.ToString());
        var show = await _elsewhere.RunAsync("show", id, "--store", store, "--format", "json");
        show.Json().GetProperty("artifacts").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ShouldContain("plot.txt");
        var status = await _elsewhere.RunAsync("status", "pgstudy", "--store", store);
        status.Stdout.ShouldContain("3 trials, 3 done (100%): 3 completed");
        // The server's connections and its limit (tests/scripts/postgres.sh sets 300), this status among them.
        status.Stdout.ShouldMatch(@"server connections: \d+ in use of 300 \([1-9]\d* by expt\)");
        var json = (await _elsewhere.RunAsync("status", "pgstudy", "--store", store, "--format", "json")).Json().GetProperty("connections");
        json.GetProperty("limit").GetInt32().ShouldBe(300);
        json.GetProperty("by_expt").GetInt32().ShouldBeGreaterThan(0);
        var studies = await _elsewhere.RunAsync("studies", "--store", store, "--format", "csv");
        studies.Stdout.ShouldContain("pgstudy");
    }

    [Fact]
    public async Task The_password_can_come_from_pgpassword_or_a_credentials_file_and_a_wrong_one_is_one_clean_line()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        var password = new NpgsqlConnectionStringBuilder(store).Password!;
        var url = Url(store, withPassword: false);
        _cli.Write("study.yaml", Study);
        var withEnv = await _cli.RunAsync(ExptCli.ExptDll, ["run", "study.yaml", "--store", url, "--enqueue-only"], new Dictionary<string, string> { ["PGPASSWORD"] = password, ["HOME"] = _cli.Directory });
        withEnv.ExitCode.ShouldBe(0, withEnv.ToString());
        var file = _cli.Write("secret", password + "\n");
        var withFile = await _cli.RunAsync(ExptCli.ExptDll, ["studies", "--store", url, "--credentials", file], new Dictionary<string, string> { ["HOME"] = _cli.Directory });
        withFile.ExitCode.ShouldBe(0, withFile.ToString());
        withFile.Stdout.ShouldContain("pgstudy");
        var fromEnvironment = await _cli.RunAsync(ExptCli.ExptDll, ["studies", "--store", url], new Dictionary<string, string> { ["EXPT_CREDENTIALS"] = file, ["HOME"] = _cli.Directory });
        fromEnvironment.ExitCode.ShouldBe(0, fromEnvironment.ToString());

        var wrong = await _cli.RunAsync(ExptCli.ExptDll, ["studies", "--store", Url(store, withPassword: false).Replace("expt@", "expt:n0t-it@", StringComparison.Ordinal)], new Dictionary<string, string> { ["HOME"] = _cli.Directory });
        wrong.ExitCode.ShouldBe(4, wrong.ToString());
        wrong.Stderr.ShouldContain("password authentication failed");
        wrong.Stderr.ShouldNotContain("n0t-it");
        wrong.Stderr.Trim().Split('\n').Length.ShouldBe(1, wrong.Stderr);
        var malformed = await _cli.RunAsync("studies", "--store", url + "&sslmode=sometimes");
        malformed.ExitCode.ShouldBe(2, malformed.ToString());
        malformed.Stderr.ShouldContain("sslmode");
    }

    [Fact]
    public async Task A_shared_artifacts_directory_holds_trial_files_instead_of_the_database()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        var shared = Path.Combine(_cli.Directory, "shared");
        _cli.Write("study.yaml", Study);
        (await _cli.RunAsync("run", "study.yaml", "--store", store, "--artifacts", shared)).ExitCode.ShouldBe(0);
        Directory.GetFiles(shared, "plot.txt", SearchOption.AllDirectories).Length.ShouldBe(3);
        (await Postgres.ScalarAsync(store, "SELECT COUNT(*) FROM trial_files")).ShouldBe(0);
        var id = (await _elsewhere.RunAsync("ls", "--store", store, "--format", "json")).Json().EnumerateArray().First().GetProperty("id").GetString()!;
        var logs = await _elsewhere.RunAsync(ExptCli.ExptDll, ["logs", id, "--store", store], new Dictionary<string, string> { ["EXPT_ARTIFACTS"] = shared });
        logs.Stdout.ShouldBe("trial 0 says hi\n", logs.ToString());
    }

    [Fact]
    public async Task A_csharp_program_hosting_expt_is_a_worker_for_its_own_experiments()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        var fill = await _cli.RunAsync(ExptCli.HostDll, ["run", "square", "--set", "x=2,3,4", "--store", store, "--enqueue-only"]);
        fill.ExitCode.ShouldBe(0, fill.ToString());
        var workers = await Task.WhenAll(
            _cli.RunAsync(ExptCli.HostDll, ["worker", "--store", store, "-j", "2"]),
            _cli.RunAsync(ExptCli.HostDll, ["worker", "--store", store, "-j", "2"]));
        workers.ShouldAllBe(w => w.ExitCode == 0);
        var trials = (await _cli.RunAsync("ls", "--store", store, "--format", "json")).Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(6);
        trials.Select(t => t.GetProperty("results").GetProperty("square").GetInt32()).Order().ShouldBe([4, 4, 9, 9, 16, 16]);
        (await Postgres.ScalarAsync(store, "SELECT SUM(attempts) FROM trials")).ShouldBe(6);
    }

    [Fact]
    public async Task Workers_with_different_capacities_claim_only_what_fits_them()
    {
        var store = await Postgres.Shared.NewStoreAsync();
        _cli.Write("study.yaml", """
            name: mixed
            shell: true
            command: |
              echo "{\"gpu\": \"$CUDA_VISIBLE_DEVICES\"}" > "$EXPT_RESULTS"
            params:
              kind: [cpu, gpu]
              x: range(3)
            resources:
              cpus: 1
              when:
                - where: kind == "gpu"
                  gpus: 1
            """);
        var enqueue = await _cli.RunAsync("run", "study.yaml", "--store", store, "--enqueue-only");
        enqueue.ExitCode.ShouldBe(0, enqueue.ToString());

        // A machine without GPUs takes the CPU trials and leaves the GPU ones for a machine that has one.
        var cpuOnly = await _cli.RunAsync("worker", "--study", "mixed", "--store", store, "--gpus", "none");
        cpuOnly.ExitCode.ShouldBe(0, cpuOnly.ToString());
        var trials = (await _cli.RunAsync("ls", "--study", "mixed", "--store", store, "--format", "json")).Json().EnumerateArray().ToList();
        trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "cpu").ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "gpu").ShouldAllBe(t => t.GetProperty("status").GetString() == "pending");

        var gpu = await _elsewhere.RunAsync("worker", "--study", "mixed", "--store", store, "--gpus", "7");
        gpu.ExitCode.ShouldBe(0, gpu.ToString());
        gpu.Stderr.ShouldContain("resources: ");
        trials = (await _cli.RunAsync("ls", "--study", "mixed", "--store", store, "--format", "json")).Json().EnumerateArray().ToList();
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "gpu").ShouldAllBe(t => t.GetProperty("results").GetProperty("gpu").GetString() == "7");
        trials.Where(t => t.GetProperty("params").GetProperty("kind").GetString() == "cpu").ShouldAllBe(t => t.GetProperty("results").GetProperty("gpu").GetString() == string.Empty);
    }
}
