using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// The disk under the store fills up in the middle of a run (a real, small tmpfs, filled by a trial): the run says so
/// in one line and exits 4; the outcomes it could not record are kept in the spool beside the store and recorded by the
/// next run; no outcome is lost and no trial runs twice.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DiskFullTests : IDisposable
{
    private readonly ExptCli _cli = new();
    private readonly string _small;

    public DiskFullTests()
    {
        _small = Path.Combine(_cli.Directory, "small");
        Directory.CreateDirectory(_small);
        using var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", _small])!;
        mount.WaitForExit();
        if (mount.ExitCode != 0)
        {
            throw new InvalidOperationException("these tests need to mount a small tmpfs (run them as root, as ./test.sh does in CI)");
        }
    }

    public void Dispose()
    {
        using (var umount = Process.Start("umount", ["-l", _small])!)
        {
            umount.WaitForExit();
        }
        _cli.Dispose();
    }

    private const string Trial = """
        import json, os, sys
        x = int(sys.argv[1])
        json.dump({"x": x}, open(os.environ["EXPT_RESULTS"], "w"))
        if x == 2:
            # Fill the disk the store is on.
            try:
                with open(os.path.join(sys.argv[2], "fill"), "wb") as f:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
            except OSError:
                pass
        """;

    [Fact]
    public async Task A_full_disk_stops_the_run_in_one_line_and_the_next_run_records_every_outcome()
    {
        _cli.Write("trial.py", Trial);
        _cli.Write("study.yaml", $"name: full\ncommand: python3 trial.py {{x}} {_small}\nparams:\n  x: range(1, 7)\nparallel: 1\n");
        var store = Path.Combine(_small, "expt.db");
        var run = await _cli.RunAsync("run", "study.yaml", "--store", store);
        run.ExitCode.ShouldBe(4, run.ToString());
        run.Stderr.ShouldNotContain("   at ");
        run.Stderr.ShouldNotContain("Exception");
        var error = run.Stderr.Split('\n').Single(l => l.StartsWith("error:", StringComparison.Ordinal));
        error.ShouldStartWith("error: the store could not be written (");
        error.ShouldContain("disk is full");
        error.ShouldEndWith($"; 1 finished trial kept in {store}.spool, recorded by the next expt run or expt worker here");

        File.Delete(Path.Combine(_small, "fill"));
        var rerun = await _cli.RunAsync("run", "study.yaml", "--store", store);
        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        rerun.Stderr.ShouldContain($"recorded 1 trial outcome kept in {store}.spool while the store could not be written");
        rerun.Stderr.ShouldContain("4 to run");
        var trials = (await _cli.RunAsync("ls", "--store", store, "--format", "json")).Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(6);
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed" && t.GetProperty("attempts").GetInt32() == 1);
        trials.Select(t => t.GetProperty("results").GetProperty("x").GetInt32()).Order().ShouldBe([1, 2, 3, 4, 5, 6]);
        // The spool is empty again (its space still reserved), so a third run records nothing twice.
        var third = await _cli.RunAsync("run", "study.yaml", "--store", store);
        third.Stderr.ShouldNotContain("recorded");
    }
}
