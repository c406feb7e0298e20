using System.Diagnostics;
using Spectre.Console;

namespace Expt.Cli.Tests;

/// <summary>
/// The adversarial corpus at the command line: options, arguments, store paths and study files a user (or an
/// attacker) may pass. Each ends in one "error:" line per problem with exit 2 (or the documented code), no stack
/// trace, within a bounded time, and nothing written to the store. Run in-process, as the CLI's own entry point.
/// </summary>
public sealed class HostileCliTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    private string Dir => _cli.Directory;

    public void Dispose() => _cli.Dispose();

    private Task<(int Exit, string Out, string Error)> RunAsync(params string[] args) => _cli.RunAsync(args);

    private void Write(string name, string text) => _cli.Write(name, text);


    /// <summary>The 545-byte "billion laughs" of the report: nine levels of ten aliases.</summary>
    private static string AliasBomb()
    {
        var sb = new System.Text.StringBuilder("name: s\ncommand: x\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level < 9; level++)
        {
            sb.Append($"lol{level}: &a{level} [").Append(string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))).Append("]\n");
        }
        return sb.Append("params:\n  x: *a8\n").ToString();
    }

    private static readonly string Study = "name: s\ncommand: echo {x}\nparams:\n  x: [1, 2]\n";

    public static TheoryData<string, string[], int, string> Cases() => new()
    {
        // options
        { "j of 100000", ["run", "study.yaml", "-j", "100000"], 2, "--parallel: expected a number of trials at once up to 4096, 0 for one per core, or -1 (all cores), -2 (all but one)..., got 100000" },
        { "j of -5000", ["run", "study.yaml", "-j", "-5000"], 2, "up to 4096" },
        { "j of text", ["run", "study.yaml", "-j", "many"], 2, "--parallel: expected a number of trials to run at once, got 'many'" },
        { "j beyond int", ["run", "study.yaml", "-j", "99999999999"], 2, "--parallel: expected" },
        { "lease of 0s", ["run", "study.yaml", "--lease", "0s"], 2, "--lease: '0s' is not a duration from 100ms to 30d" },
        { "lease of 99999999999h", ["run", "study.yaml", "--lease", "99999999999h"], 2, "--lease: '99999999999h' is not a duration" },
        { "heartbeat longer than lease", ["run", "study.yaml", "--lease", "2s", "--heartbeat", "5s"], 2, "must be shorter than --lease" },
        { "negative dry-run limit", ["run", "study.yaml", "--dry-run", "--limit", "-3"], 2, "--limit: expected 0 or more" },
        { "unknown format", ["ls", "--format", "xml"], 2, "--format: 'xml' is not a format" },
        { "unknown option", ["run", "study.yaml", "--parralel", "2"], 2, "Unrecognized command or argument" },
        { "set without equals", ["run", "study.yaml", "--set", "replications"], 2, "expected key=value" },
        { "set of an unclosed list", ["run", "study.yaml", "--set", "x=[1,"], 2, "opens a list with '[' but does not close it" },
        { "set of an unclosed range", ["run", "study.yaml", "--set", "x=range(0, 5"], 2, "is not closed" },
        { "set of timeout overflow", ["run", "study.yaml", "--set", "timeout=99999999999h"], 2, "of at most 30d" },
        { "set of a 39-digit value", ["run", "study.yaml", "--set", "x=123456789012345678901234567890123456789"], 2, "is out of range" },
        { "set of a deep list", ["run", "study.yaml", "--set", "x=" + new string('[', 100_000) + new string(']', 100_000)], 2, "nested more than 64 levels deep" },
        { "set of a deep dotted name", ["run", "study.yaml", "--set", string.Join('.', Enumerable.Range(0, 3000).Select(i => "a" + i)) + "=1"], 2, "key too long" },
        { "name with a slash", ["run", "study.yaml", "--name", "../../etc"], 2, "--name: '../../etc' is not a valid study name" },
        { "file and command", ["run", "study.yaml", "--", "echo"], 2, "give either a study file or a command after --" },
        { "no such study file", ["run", "nope.yaml"], 2, "nope.yaml: no such study file" },
        { "a directory as study file", ["run", "adir"], 2, "adir" },
        { "a device as study file", ["run", "/dev/zero"], 2, "larger than the limit of 8 MiB" },
        { "an alias bomb", ["run", "bomb.yaml"], 2, "aliases expand to more than 100,000 values" },
        { "a command with {x", ["run", "--set", "x=1", "--", "echo", "{x"], 2, "is never closed" },
        { "a command with x}", ["run", "--set", "x=1", "--", "echo", "x}"], 2, "closes no '{'" },
        { "sh -c with a string placeholder", ["run", "--set", "x=a,$(touch PWNED)", "--", "sh", "-c", "echo {x}"], 2, "placeholder {x} inside the argument 'echo {x}', which holds spaces or shell syntax" },
        { "a where of 50,000 parentheses", ["ls", "--where", new string('(', 50_000) + "x" + new string(')', 50_000)], 2, "more than the limit of 65,536" },
        { "a where of 30,000 parentheses", ["ls", "--where", new string('(', 30_000) + "x" + new string(')', 30_000)], 2, "nested more than 64 levels deep" },
        { "a where with a NUL", ["ls", "--where", "x == 'a\0'"], 2, "NUL" },
        { "a where that ends early", ["ls", "--where", "x >"], 2, "ends too early" },
        { "unknown status", ["ls", "--status", "exploded"], 2, "exploded" },
        { "logs of a missing store", ["logs", "00000000", "--tail", "-5"], 3, "no store at" },

        // guards that multiply away
        { "a billion trials from replications", ["run", "--set", "x=range(1000)", "--set", "replications=1000000", "--", "true"], 2, "the study has 1,000 points × 1,000,000 replications = 1,000,000,000 trials, more than the limit of 1,000,000 trials; pass --yes" },
        { "a GPU named all in a list", ["run", "study.yaml", "--gpus", "0,all"], 2, "--gpus: 'all' is not a GPU device" },
        { "a GPU named -1", ["run", "study.yaml", "--gpus=-1"], 2, "--gpus: '-1' is not a GPU device" },
        { "a newline in a Slurm partition", ["slurm", "submit", "study.yaml", "--workers", "2", "--partition", "gpu\nrm -rf ~", "--dry-run"], 2, "--partition: 'gpu\\nrm -rf ~' is not a Slurm value" },
        { "a newline in an extra sbatch option", ["slurm", "submit", "study.yaml", "--workers", "2", "--extra-sbatch", "--constraint=a\nreboot", "--dry-run"], 2, "--extra-sbatch:" },
        { "a space in a Slurm account", ["slurm", "submit", "study.yaml", "--workers", "2", "--account", "a b", "--dry-run"], 2, "--account: 'a b' is not a Slurm value" },
        { "300 tags at once", ["tag", "00000000", .. Enumerable.Range(0, 300).Select(i => $"+t{i}")], 2, "a trial keeps at most 64 tags; this adds 300" },

        // stores
        { "store at /", ["run", "study.yaml", "--store", "/"], 2, "--store: / is a directory; expected a SQLite file" },
        { "store in a directory that does not exist", ["run", "study.yaml", "--store", "/nonexistent/dir/x.db"], 2, "--store: no directory /nonexistent/dir; create it first" },
        { "store that is a directory", ["ls", "--store", "adir"], 2, "is a directory" },
        { "store that is not a database", ["ls", "--store", "study.yaml"], 4, "cannot open the store" },
        { "read-only command on a missing store", ["ls", "--store", "missing.db"], 3, "no store at" },
        { "bad postgresql url", ["ls", "--store", "postgresql://u:p@/"], 2, "--store:" },

        // serve
        { "serve with a one-letter token", ["serve", "--token", "a", "--host", "0.0.0.0", "--port", "0"], 2, "--token: the token has 1 characters, too few to guess-proof" },
        { "serve with a blank token", ["serve", "--token", "                    ", "--port", "0"], 2, "--token: the token holds whitespace" },
        { "serve with a repetitive token", ["serve", "--token", "aaaaaaaaaaaaaaaaaaaa", "--port", "0"], 2, "repeats too few characters" },
        { "serve on a host name", ["serve", "--host", "example.org"], 2, "--host: expected an IP address" },
        { "serve on a port out of range", ["serve", "--port", "70000"], 2, "--port: expected a port number" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_command_lines_get_one_line_errors_and_write_nothing(string name, string[] args, int exit, string expected)
    {
        Write("study.yaml", Study);
        Write("bomb.yaml", AliasBomb());
        Directory.CreateDirectory(Path.Combine(Dir, "adir"));
        var clock = Stopwatch.StartNew();
        var result = await RunAsync(args);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), name);
        result.Exit.ShouldBe(exit, $"{name}\n{result.Error}");
        result.Error.ShouldContain(expected, customMessage: name);
        result.Error.ShouldNotContain("   at ", customMessage: name);
        result.Error.ShouldNotContain("Exception", customMessage: name);
        result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldAllBe(line => line.StartsWith("error:", StringComparison.Ordinal) || line.StartsWith("see '", StringComparison.Ordinal), name);
        // Nothing half-written: no store was created, and none elsewhere either.
        File.Exists(Path.Combine(Dir, ".expt", "expt.db")).ShouldBeFalse(name);
        Directory.Exists("/nonexistent").ShouldBeFalse();
    }

    [Fact]
    public async Task A_dry_run_of_a_billion_points_counts_and_shows_the_first_without_building_them()
    {
        var before = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        var result = await RunAsync("run", "--dry-run", "--yes", "--set", "a=range(1000)", "--set", "b=range(1000)", "--set", "c=range(1000)", "--", "echo", "{a}");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        result.Exit.ShouldBe(0, result.Error);
        result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1001);
        result.Error.ShouldContain("dry run: study cmd-");
        result.Error.ShouldContain("1,000,000,000 points × 1 replication = 1,000,000,000 trials; the first 1,000 shown (--limit 0 shows all); nothing was run or stored");
        (GC.GetTotalAllocatedBytes() - before).ShouldBeLessThan(500L << 20);
        File.Exists(Path.Combine(Dir, ".expt", "expt.db")).ShouldBeFalse();
    }

    [Fact]
    public async Task Validation_happens_before_anything_is_stored()
    {
        Write("study.yaml", Study);
        (await RunAsync("run", "study.yaml", "--lease", "0s")).Exit.ShouldBe(2);
        File.Exists(Path.Combine(Dir, ".expt", "expt.db")).ShouldBeFalse();
        (await RunAsync("run", "study.yaml", "-j", "100000")).Exit.ShouldBe(2);
        File.Exists(Path.Combine(Dir, ".expt", "expt.db")).ShouldBeFalse();
    }
}
