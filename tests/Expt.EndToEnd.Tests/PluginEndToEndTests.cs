namespace Expt.EndToEnd.Tests;

/// <summary>
/// The sample plugin (examples/plugins/wrap), built against Expt's public API only, loaded by the unmodified
/// <c>expt</c> through <c>EXPT_PLUGINS</c>: a study that names its executor runs through it, by <c>expt run</c> and by an
/// <c>expt worker</c>; without the plugin, the study is refused before anything is stored.
/// </summary>
public sealed class PluginEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // The plugin as the solution built it, in this test run's configuration.
    private static string PluginDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Expt.slnx")))
        {
            dir = dir.Parent;
        }
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(dir!.FullName, "examples", "plugins", "wrap", "bin", configuration, "net10.0", "Expt.Plugin.Wrap.dll");
    }

    private const string Study = """
        name: wrapped
        command: sh t.sh {x}
        executor: {kind: wrap, with: "env WRAPPED=yes"}
        params:
          x: [1, 2, 3]
        """;

    [Fact]
    public async Task A_study_runs_through_a_plugins_executor_loaded_by_the_unmodified_expt()
    {
        File.Exists(PluginDll()).ShouldBeTrue(PluginDll());
        _cli.Write("t.sh", "echo \"{\\\"via\\\": \\\"$WRAPPED\\\", \\\"value\\\": $1}\" > \"$EXPT_RESULTS\"\n");
        _cli.Write("s.yaml", Study);

        // Without the plugin: one line, exit 2, nothing stored.
        var refused = await _cli.RunAsync("run", "s.yaml");
        refused.ExitCode.ShouldBe(2, refused.ToString());
        refused.Stderr.Trim().ShouldBe("error: study wrapped runs its trials with the executor 'wrap', which no plugin registers; load its plugin with EXPT_PLUGINS=path/to/plugin.dll (registered: command, csharp, python)");
        Directory.Exists(Path.Combine(_cli.Directory, ".expt")).ShouldBeFalse();

        var env = new Dictionary<string, string> { ["EXPT_PLUGINS"] = PluginDll() };
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "s.yaml", "--enqueue-only"], env);
        run.ExitCode.ShouldBe(0, run.ToString());
        // A worker (as on another machine) makes the same executor from the stored study.
        var worker = await _cli.RunAsync(ExptCli.ExptDll, ["worker", "--study", "wrapped"], env);
        worker.ExitCode.ShouldBe(0, worker.ToString());
        var trials = (await _cli.RunAsync("ls", "--study", "wrapped", "--format", "json")).Json().EnumerateArray().ToList();
        trials.Count.ShouldBe(3);
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed" && t.GetProperty("results").GetProperty("via").GetString() == "yes");

        // A plugin's own mistakes are one line too.
        _cli.Write("bad.yaml", "name: bad\ncommand: \"true\"\nexecutor: wrap\n");
        var bad = await _cli.RunAsync(ExptCli.ExptDll, ["run", "bad.yaml"], env);
        bad.ExitCode.ShouldBe(2, bad.ToString());
        bad.Stderr.ShouldContain("executor wrap needs 'with'");
        var missing = await _cli.RunAsync(ExptCli.ExptDll, ["studies"], new Dictionary<string, string> { ["EXPT_PLUGINS"] = Path.Combine(_cli.Directory, "none.dll") });
        missing.ExitCode.ShouldBe(2);
        missing.Stderr.ShouldContain("EXPT_PLUGINS: no file");
    }
}
