using System.Security.Cryptography;

namespace Expt.Cli.Tests;

/// <summary>
/// Every command that writes a file the user names (<c>export -o</c>, <c>report -o</c>, <c>plot -o</c>, <c>export
/// --what merged -o DIR</c>) goes through one rule: never a store (the one read, another one, a link or a hard link to
/// one, their -wal/-shm/-journal/spool), never a directory in place of a file, an existing file replaced only when it
/// has the extension of what is written or with --force, and bad paths as one line with exit 2. The store's bytes are
/// compared before and after every refusal.
/// </summary>
public sealed class OutputPathTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    private string Dir => _cli.Directory;

    private string Store => Path.Combine(Dir, ".expt", "expt.db");

    public void Dispose() => _cli.Dispose();

    private async Task RunStudyAsync(params string[] store)
    {
        var run = await _cli.RunAsync(["run", "--name", "s", "--set", "x=1,2", .. store, "--", "sh", "-c", "echo '{\"v\": 1}' > \"$EXPT_RESULTS\""]);
        run.Exit.ShouldBe(0, run.Error);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void OneLineError((int Exit, string Out, string Error) result, string expected, string name)
    {
        result.Exit.ShouldBe(2, $"{name}: {result.Error}");
        result.Error.ShouldContain(expected, customMessage: name);
        result.Error.ShouldNotContain("   at ", customMessage: name);
        result.Error.Trim().Split('\n').Length.ShouldBe(1, name);
        result.Error.ShouldStartWith("error: ", customMessage: name);
    }

    public static TheoryData<string, string[], string> Refused() => new()
    {
        { "export over the store", ["export", "s", "-o", ".expt/expt.db"], "is a store" },
        { "export over the store, forced", ["export", "s", "-o", ".expt/expt.db", "--force"], "is a store" },
        { "export over the store's WAL", ["export", "s", "-o", ".expt/expt.db-wal", "--force"], "is a store" },
        { "export over the store's shared memory", ["export", "s", "-o", ".expt/expt.db-shm", "--force"], "is a store" },
        { "export over the store's journal", ["export", "s", "-o", ".expt/expt.db-journal", "--force"], "is a store" },
        { "export over the store's spool", ["export", "s", "-o", ".expt/expt.db.spool", "--force"], "is a store" },
        { "export over another store", ["export", "s", "-o", "other.db", "--force"], "is a store" },
        { "export over a link to the store", ["export", "s", "-o", "link.csv", "--force"], "is a store" },
        { "export over a hard link to the store", ["export", "s", "-o", "hard.csv", "--force"], "is a store" },
        { "grid over the store", ["export", "s", "--what", "grid", "--format", "json", "-o", ".expt/expt.db"], "is a store" },
        { "summary over the store", ["export", "s", "--what", "summary", "-o", ".expt/expt.db"], "is a store" },
        { "report over the store", ["report", "s", "-o", ".expt/expt.db", "--force"], "is a store" },
        { "plot over a link to the store", ["plot", "s", "--metric", "v", "-o", "store.svg", "--force"], "is a store" },
        { "merged into the store's folder", ["export", "s", "--what", "merged", "-o", ".expt", "--force"], "holds the store" },
        { "merged onto the store", ["export", "s", "--what", "merged", "-o", ".expt/expt.db"], "is a file" },
        { "export to a directory", ["export", "s", "-o", "adir"], "is a directory" },
        { "report to a directory", ["report", "s", "-o", "."], "is a directory" },
        { "export into a missing folder", ["export", "s", "-o", "missing/x.csv"], "no directory" },
        { "plot into a missing folder", ["plot", "s", "--metric", "v", "-o", "missing/x.svg"], "no directory" },
        { "export to an empty path", ["export", "s", "-o", ""], "an empty path" },
        { "report to a blank path", ["report", "s", "-o", "  "], "an empty path" },
        { "export to a full device", ["export", "s", "-o", "/dev/full"], "No space left on device" },
        { "export over a source file", ["export", "s", "-o", "train.py"], "exists and is not a .csv file; add --force" },
        { "report over a notebook", ["report", "s", "-o", "notes.txt"], "exists and is not a .html or .htm file" },
        { "merged into a folder of other files", ["export", "s", "--what", "merged", "-o", "adir"], "is not empty" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Outputs_never_replace_a_store_or_what_the_user_owns(string name, string[] args, string expected)
    {
        await RunStudyAsync();
        await RunStudyAsync("--store", "other.db");
        Directory.CreateDirectory(Path.Combine(Dir, "adir"));
        _cli.Write("adir/data.txt", "mine");
        _cli.Write("train.py", "print('mine')\n");
        _cli.Write("notes.txt", "mine\n");
        File.CreateSymbolicLink(Path.Combine(Dir, "link.csv"), Store);
        File.CreateSymbolicLink(Path.Combine(Dir, "store.svg"), Store);
        HardLink(Store, Path.Combine(Dir, "hard.csv"));
        var before = Hash(Store);
        var other = Hash(Path.Combine(Dir, "other.db"));

        OneLineError(await _cli.RunAsync(args), expected, name);

        Hash(Store).ShouldBe(before, name);
        Hash(Path.Combine(Dir, "other.db")).ShouldBe(other, name);
        File.ReadAllText(Path.Combine(Dir, "train.py")).ShouldBe("print('mine')\n");
        File.ReadAllText(Path.Combine(Dir, "adir", "data.txt")).ShouldBe("mine");
        File.Exists(Path.Combine(Dir, ".expt", "expt.db-journal")).ShouldBeFalse(name);
        Directory.EnumerateFiles(Dir, "*.tmp", SearchOption.AllDirectories).ShouldBeEmpty(name);
        var ls = await _cli.RunAsync("ls", "--format", "json");
        ls.Exit.ShouldBe(0, name);
        ls.Out.ShouldContain("\"study\": \"s\"");
    }

    [Fact]
    public async Task An_existing_output_of_the_same_kind_is_replaced_and_the_command_says_so()
    {
        await RunStudyAsync();
        var first = await _cli.RunAsync("export", "s", "-o", "trials.csv");
        first.Exit.ShouldBe(0, first.Error);
        first.Error.ShouldNotContain("replaced");
        _cli.Write("trials.csv", "old");
        var again = await _cli.RunAsync("export", "s", "-o", "trials.csv");
        again.Exit.ShouldBe(0, again.Error);
        again.Error.ShouldContain("(replaced the existing file)");
        File.ReadAllText(Path.Combine(Dir, "trials.csv")).ShouldStartWith("id,");
    }

    [Fact]
    public async Task Force_replaces_a_file_of_another_kind_but_never_a_store()
    {
        await RunStudyAsync();
        _cli.Write("train.py", "print('mine')\n");
        var forced = await _cli.RunAsync("export", "s", "-o", "train.py", "--force");
        forced.Exit.ShouldBe(0, forced.Error);
        File.ReadAllText(Path.Combine(Dir, "train.py")).ShouldStartWith("id,");
    }

    [Fact]
    public async Task A_merged_export_writes_again_into_its_own_folder_and_into_another_one_with_force()
    {
        await RunStudyAsync();
        (await _cli.RunAsync("export", "s", "--what", "merged", "-o", "merged")).Exit.ShouldBe(0);
        var again = await _cli.RunAsync("export", "s", "--what", "merged", "-o", "merged");
        again.Exit.ShouldBe(0, again.Error);
        Directory.CreateDirectory(Path.Combine(Dir, "adir"));
        _cli.Write("adir/data.txt", "mine");
        var forced = await _cli.RunAsync("export", "s", "--what", "merged", "-o", "adir", "--force");
        forced.Exit.ShouldBe(0, forced.Error);
        File.ReadAllText(Path.Combine(Dir, "adir", "data.txt")).ShouldBe("mine");
        File.Exists(Path.Combine(Dir, "adir", "groups.csv")).ShouldBeTrue();
    }

    [Fact]
    public async Task Output_to_a_character_device_is_written_in_place()
    {
        await RunStudyAsync();
        var result = await _cli.RunAsync("export", "s", "-o", "/dev/null");
        result.Exit.ShouldBe(0, result.Error);
        File.Exists("/dev/null").ShouldBeTrue();
        new FileInfo("/dev/null").Length.ShouldBe(0);
    }

    private static void HardLink(string existing, string link)
    {
        using var process = System.Diagnostics.Process.Start("ln", [existing, link])!;
        process.WaitForExit();
        process.ExitCode.ShouldBe(0);
    }
}
