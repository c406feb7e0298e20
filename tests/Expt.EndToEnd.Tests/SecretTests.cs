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
