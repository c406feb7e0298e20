namespace Expt.Cli.Tests;

/// <summary><c>expt run --print-config</c>: the composed study, as a user checks it before running, and a Hydra group chosen with --set.</summary>
public sealed class PrintConfigTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Prints_the_composed_study_runs_the_chosen_group_and_stores_what_was_printed()
    {
        Directory.CreateDirectory(Path.Combine(_cli.Directory, "conf", "model"));
        _cli.Write("conf/model/small.yaml", "depth: 2\n");
        _cli.Write("conf/model/big.yaml", "depth: 8\nwidth: [64, 128]\n");
        _cli.Write("conf/base.yaml", "command: \"true\"\nshell: false\nreplications: 2\n");
        _cli.Write("conf/study.yaml", "name: composed\ninclude: base.yaml\ndefaults: [model: small]\n");

        var printed = await _cli.RunAsync("run", "conf/study.yaml", "--set", "model=big", "--set", "replications=1", "--print-config");
        printed.Exit.ShouldBe(0, printed.Error);
        printed.Out.ShouldBe("""
            name: composed
            command: "true"
            shell: false
            replications: 1
            params:
              model:
                depth: 8
                width: [64, 128]

            """.Replace("\r", string.Empty, StringComparison.Ordinal).TrimStart(), printed.Out);
        File.Exists(Path.Combine(_cli.Directory, ".expt", "expt.db")).ShouldBeFalse(); // nothing run, nothing stored

        var run = await _cli.RunAsync("run", "conf/study.yaml", "--set", "model=big", "-q");
        run.Exit.ShouldBe(0, run.Error);
        var trials = await _cli.RunAsync("ls", "--format", "csv");
        trials.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1 + 4); // width 64, 128 × 2 replications
        trials.Out.ShouldContain("model.depth");

        var typo = await _cli.RunAsync("run", "conf/study.yaml", "--set", "model=bigg");
        typo.Exit.ShouldBe(2);
        typo.Error.Trim().ShouldBe("error: --set: model: no option 'bigg' in conf/model/ (did you mean 'big'?); expected one of: big, small");
    }
}
