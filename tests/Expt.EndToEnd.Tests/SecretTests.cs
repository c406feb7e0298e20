using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Secrets on the command line, in the environment, in a git patch and echoed by a trial never reach the store (the
/// SQLite file's bytes, a PostgreSQL dump), the terminal or <c>expt show</c>; secrets reach trials through
/// <c>env: {NAME: ${NAME}}</c>, which is stored as the reference only.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SecretTests : IDisposable
{
    private const string Secret = "hunter2";
    private const string UrlSecret = "url-s3cret";
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private static readonly string[] TrialCommand =
    [
        "sh", "-c", "echo --api-key hunter2 Password=hunter2; echo \"db says $DB_PASSWORD\" >&2; printf '%s' \"{\\\"echo\\\": \\\"$DB_PASSWORD\\\", \\\"n\\\": 1}\" > \"$EXPT_RESULTS\"",
        "postgresql://u:" + UrlSecret + "@host/db", "--password", Secret,
    ];

    private void GitRepositoryWithASecretInItsPatch()
    {
        void Git(params string[] args)
        {
            var info = new ProcessStartInfo("git") { WorkingDirectory = _cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }
            using var p = Process.Start(info)!;
            p.WaitForExit();
        }
        Git("init", "-q");
        _cli.Write("settings.env", "LOG_LEVEL=debug\n");
        Git("add", "settings.env");
        Git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "-m", "init");
        _cli.Write("settings.env", "LOG_LEVEL=debug\nDB_PASSWORD=hunter2\napi_token: \"hunter2\"\n");
    }

    private static readonly Dictionary<string, string> WithSecret = new() { ["DB_PASSWORD"] = Secret };

    private static void NoSecretIn(string what, string text)
    {
        text.ShouldNotContain(Secret, customMessage: what);
        text.ShouldNotContain(UrlSecret, customMessage: what);
    }

    private static int Occurrences(byte[] haystack, string needle)
    {
        var bytes = Encoding.UTF8.GetBytes(needle);
        var count = 0;
        for (var span = haystack.AsSpan(); span.IndexOf(bytes) is var at and >= 0; span = span[(at + bytes.Length)..])
        {
            count++;
        }
        return count;
    }

    [Fact]
    public async Task No_secret_byte_reaches_the_sqlite_file_the_terminal_or_show()
    {
        GitRepositoryWithASecretInItsPatch();
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "sec", "--set", "x=1", "--set", "system_info=full", "--", .. TrialCommand], WithSecret);
        run.ExitCode.ShouldBe(0, run.ToString());
        NoSecretIn("run output", run.Stdout + run.Stderr);
        run.Stderr.ShouldContain("warning: the command line holds a secret");

        var id = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single().GetProperty("id").GetString()!;
        foreach (var args in new[] { new[] { "show", id, "--format", "json" }, ["show", id], ["ls", "--format", "json"], ["studies", "--format", "json"], ["diff", id, id] })
        {
            var output = await _cli.RunAsync(args);
            NoSecretIn(string.Join(' ', args), output.Stdout + output.Stderr);
        }
        var show = (await _cli.RunAsync("show", id, "--format", "json")).Json();
        show.GetProperty("trial").GetProperty("results").GetProperty("echo").GetString().ShouldBe("***");
        var provenance = show.GetProperty("study_provenance").GetRawText();
        provenance.ShouldContain("--password ***");
        provenance.ShouldContain("DB_PASSWORD=***");

        var store = Path.Combine(_cli.Directory, ".expt");
        foreach (var file in Directory.GetFiles(store, "expt.db*"))
        {
            var bytes = File.ReadAllBytes(file);
            Occurrences(bytes, Secret).ShouldBe(0, file);
            Occurrences(bytes, UrlSecret).ShouldBe(0, file);
        }
    }

    [Fact]
    public async Task No_secret_byte_reaches_a_postgresql_dump()
    {
        GitRepositoryWithASecretInItsPatch();
        var store = await Postgres.Shared.NewStoreAsync();
        var connection = new NpgsqlConnectionStringBuilder(store);
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "sec", "--store", store, "--set", "x=1,2", "--set", "system_info=full", "--", .. TrialCommand], WithSecret);
        run.ExitCode.ShouldBe(0, run.ToString());
        NoSecretIn("run output", run.Stdout + run.Stderr);
        run.Stdout.ShouldNotContain(connection.Password!);

        // Trials run by a worker elsewhere, with the secret in its own environment only.
        _cli.Write("study.yaml", "name: passed\ncommand: sh -c 'echo \"token is $API_TOKEN\"; test ${#API_TOKEN} -eq 7'\nenv:\n  API_TOKEN: ${MY_TOKEN}\nparams:\n  x: [1, 2]\n");
        var enqueue = await _cli.RunAsync(ExptCli.ExptDll, ["run", "study.yaml", "--store", store, "--enqueue-only"], new Dictionary<string, string>());
        enqueue.ExitCode.ShouldBe(0, enqueue.ToString());
        var worker = await _cli.RunAsync(ExptCli.ExptDll, ["worker", "--store", store, "--study", "passed"], new Dictionary<string, string> { ["MY_TOKEN"] = Secret });
        worker.ExitCode.ShouldBe(0, worker.ToString());
        NoSecretIn("worker output", worker.Stdout + worker.Stderr);

        // bytea columns (trial files) are dumped as hex: decode them, so their bytes are searched too.
        var text = await PgDumpAsync(connection);
        var decoded = System.Text.RegularExpressions.Regex.Matches(Encoding.UTF8.GetString(text), @"'\\x([0-9a-f]*)'").Select(m => Convert.FromHexString(m.Groups[1].Value)).ToList();
        decoded.Count.ShouldBeGreaterThan(4);
        var dump = text.Concat(decoded.SelectMany(d => d)).ToArray();
        dump.Length.ShouldBeGreaterThan(10_000);
        dump.ShouldContain("${MY_TOKEN}");
        dump.ShouldContain("token is ***");
        Occurrences(dump, Secret).ShouldBe(0);
        Occurrences(dump, UrlSecret).ShouldBe(0);
        Occurrences(dump, connection.Password!).ShouldBe(0);
    }

    // The second round: secrets reaching the store by a note, an artifact's name, a metric's name, a tag, a variable
    // not named like a secret (a token by its shape), and command lines that hid them from the first rules.
    private const string ApiToken = "tok-9c1e7f2ab44d";
    private const string Pat = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

    private static readonly Dictionary<string, string> RunnerSecrets = new() { ["MY_API_TOKEN"] = ApiToken, ["GH_PAT"] = Pat };

    private static readonly string[] LeakyTrial =
    [
        "sh", "-c",
        "echo \"note $MY_API_TOKEN\" > \"$EXPT_NOTE\"; echo \"best-$MY_API_TOKEN\" > \"$EXPT_TAGS\"; " +
        "mkdir -p \"$EXPT_TRIAL_DIR/dir-$MY_API_TOKEN\"; echo art > \"$EXPT_TRIAL_DIR/model-$MY_API_TOKEN.txt\"; echo in > \"$EXPT_TRIAL_DIR/dir-$MY_API_TOKEN/f.txt\"; " +
        "printf '{\"loss-%s\": 1}\\n' \"$MY_API_TOKEN\" > \"$EXPT_METRICS\"; echo \"pat $GH_PAT\"; " +
        "printf '{\"v\": 1, \"t\": \"%s\"}' \"$GH_PAT\" > \"$EXPT_RESULTS\"",
        "--password", "-Xs3cret-pw", "postgresql://me:p@ss/w0rd-x@db/x",
        "-H", "Authorization: Bearer bearer-s3cret-value",
    ];

    private static readonly string[] SecondRound = [ApiToken, Pat, "-Xs3cret-pw", "w0rd-x", "bearer-s3cret-value"];

    private static void NoSecondRoundSecretIn(string what, string text)
    {
        foreach (var secret in SecondRound)
        {
            text.ShouldNotContain(secret, customMessage: what);
        }
    }

    [Fact]
    public async Task Second_round_no_secret_reaches_the_store_by_a_name_a_note_a_tag_or_a_hidden_option()
    {
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "leak", "--set", "x=1", "--", .. LeakyTrial], RunnerSecrets);
        run.ExitCode.ShouldBe(0, run.ToString());
        NoSecondRoundSecretIn("run output", run.Stdout + run.Stderr);
        var id = (await _cli.RunAsync("ls", "--format", "json")).Json().EnumerateArray().Single().GetProperty("id").GetString()!;
        foreach (var args in new[] { new[] { "show", id, "--format", "json" }, ["show", id], ["ls", "--format", "json"], ["export", "leak", "--what", "metrics"], ["logs", id] })
        {
            var output = await _cli.RunAsync(args);
            NoSecondRoundSecretIn(string.Join(' ', args), output.Stdout + output.Stderr);
        }
        var show = (await _cli.RunAsync("show", id, "--format", "json")).Json();
        show.GetProperty("trial").GetProperty("note").GetString().ShouldBe("note ***");
        show.GetProperty("trial").GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ShouldBe(["***"]);
        show.GetProperty("trial").GetProperty("results").GetProperty("t").GetString().ShouldBe("***");
        show.GetProperty("trial").GetProperty("error").GetString()!.ShouldContain("had a secret in their name and were renamed");
        var artifacts = show.GetProperty("artifacts").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToList();
        artifacts.ShouldContain("model-***.txt");
        artifacts.ShouldContain("dir-***/f.txt");
        (await _cli.RunAsync("show", id)).Stdout.ShouldContain("loss-***");
        show.GetProperty("study_provenance").GetRawText().ShouldContain("Bearer ***");
        foreach (var file in Directory.GetFiles(Path.Combine(_cli.Directory, ".expt"), "expt.db*"))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var secret in SecondRound)
            {
                Occurrences(bytes, secret).ShouldBe(0, $"{file}: {secret}");
            }
        }
        // Nor on disk under a name: the trial's directory holds no file or folder named after the secret.
        Directory.EnumerateFileSystemEntries(Path.Combine(_cli.Directory, ".expt", "runs"), "*", SearchOption.AllDirectories).ShouldNotContain(p => p.Contains(ApiToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Second_round_a_parameter_holding_a_secret_is_refused_before_anything_is_stored()
    {
        foreach (var (set, expected) in new[] { ("api_key=abcdef123", "params.api_key: a parameter named like a secret"), ("db_password=hunter22", "params.db_password: a parameter named like a secret"), ("x=" + Pat, "holds a token") })
        {
            var run = await _cli.RunAsync("run", "--name", "p", "--set", set, "--", "true");
            run.ExitCode.ShouldBe(2, run.ToString());
            run.Stderr.ShouldContain(expected);
            run.Stderr.ShouldContain("env:");
            NoSecondRoundSecretIn(set, run.Stdout + run.Stderr);
        }
        File.Exists(Path.Combine(_cli.Directory, ".expt", "expt.db")).ShouldBeFalse();
        // Names that only look alike are parameters like any other.
        (await _cli.RunAsync("run", "--name", "ok", "--set", "eos_token=eos", "--set", "max_tokens=5", "--", "true")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Second_round_a_quoted_password_holding_a_semicolon_never_reaches_a_postgresql_dump()
    {
        var store = new NpgsqlConnectionStringBuilder(await Postgres.Shared.NewStoreAsync());
        const string password = "p;w-9f8e7d6c";
        var role = "sec_" + Guid.NewGuid().ToString("N")[..8];
        await Postgres.ExecuteAsync(Postgres.ConnectionString, $"CREATE ROLE {role} LOGIN PASSWORD '{password}'; GRANT ALL ON SCHEMA {store.SearchPath} TO {role}; GRANT CONNECT, CREATE ON DATABASE {store.Database} TO {role}");
        try
        {
            var quoted = $"Host={store.Host};Port={store.Port};Username={role};Password='{password}';Database={store.Database};Search Path={store.SearchPath}";
            var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "semi", "--store", quoted, "--set", "x=1", "--set", "system_info=full", "--", "sh", "-c", "echo done"], new Dictionary<string, string>());
            run.ExitCode.ShouldBe(0, run.ToString());
            run.Stderr.ShouldNotContain("w-9f8e7d6c");
            var dump = await PgDumpAsync(new NpgsqlConnectionStringBuilder(store.ConnectionString));
            Encoding.UTF8.GetString(dump).ShouldContain("Password=''***''"); // as pg_dump quotes it
            Occurrences(dump, "w-9f8e7d6c").ShouldBe(0);
            Occurrences(dump, password).ShouldBe(0);
        }
        finally
        {
            await Postgres.ExecuteAsync(Postgres.ConnectionString, $"DROP SCHEMA {store.SearchPath} CASCADE; DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    private static async Task<byte[]> PgDumpAsync(NpgsqlConnectionStringBuilder connection)
    {
        var info = new ProcessStartInfo("pg_dump", ["-h", connection.Host!, "-p", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", connection.Username!, "-n", connection.SearchPath!, "--data-only", "--inserts", connection.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(info)!;
        using var buffer = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(buffer);
        var error = await process.StandardError.ReadToEndAsync();
        await copy;
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, error);
        return buffer.ToArray();
    }
}

internal static class DumpExtensions
{
    public static void ShouldContain(this byte[] haystack, string text) =>
        Encoding.UTF8.GetString(haystack).ShouldContain(text);
}
