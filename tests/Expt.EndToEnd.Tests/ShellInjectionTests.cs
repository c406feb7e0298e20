namespace Expt.EndToEnd.Tests;

/// <summary>
/// A parameter value never runs as code, whichever program stands between Expt and a shell: each wrapper of the
/// report (timeout, find -exec, nice, xargs, srun, stdbuf, env -i, su -c, ssh; with shell: true, sh -c {x} and
/// eval {x}) is run by the real CLI with the value $(touch PWNED), and no PWNED file appears; values added later by
/// expt add are held to the same rule; plain words run.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ShellInjectionTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private bool Pwned() => Directory.EnumerateFiles(_cli.Directory, "PWNED*", SearchOption.AllDirectories).Any() || File.Exists("/tmp/PWNED-expt-test");

    public static TheoryData<string, string[]> Wrappers() => new()
    {
        { "timeout", ["timeout", "10", "sh", "-c", "echo {x}"] },
        { "find -exec", ["find", ".", "-maxdepth", "0", "-exec", "sh", "-c", "echo {x}", ";"] },
        { "nice", ["nice", "-n", "5", "sh", "-c", "echo {x}"] },
        { "xargs", ["xargs", "-r", "sh", "-c", "echo {x}"] },
        { "srun", ["srun", "-n", "1", "sh", "-c", "echo {x}"] },
        { "stdbuf", ["stdbuf", "-oL", "sh", "-c", "echo {x}"] },
        { "env -i", ["env", "-i", "sh", "-c", "echo {x}"] },
        { "su -c", ["su", "-c", "echo {x}", "root"] },
        { "ssh quoted", ["ssh", "localhost", "cd {x}"] },
        { "ssh bare", ["ssh", "localhost", "echo", "{x}"] },
        { "sh -c {x}", ["sh", "-c", "{x}"] },
    };

    [Theory]
    [MemberData(nameof(Wrappers))]
    public async Task A_value_with_shell_code_never_reaches_a_shell_through_a_wrapper(string name, string[] command)
    {
        var run = await _cli.RunAsync(["run", "--name", "inj", "--set", "x=$(touch PWNED),ok", "--", .. command]);
        run.ExitCode.ShouldBe(2, $"{name}: {run}");
        run.Stderr.ShouldContain("placeholder {x}", customMessage: name);
        run.Stderr.ShouldContain("would run as code there", customMessage: name);
        Pwned().ShouldBeFalse(name);
        File.Exists(Path.Combine(_cli.Directory, ".expt", "expt.db")).ShouldBeFalse(name);
    }

    [Theory]
    [InlineData("sh -c {x}")]
    [InlineData("eval {x}")]
    [InlineData("echo \"{x}\"")]
    public async Task With_shell_true_a_value_given_to_sh_c_or_eval_or_inside_quotes_is_refused(string command)
    {
        _cli.Write("shell.yaml", $"name: sh\nshell: true\ncommand: '{command.Replace("'", "''", StringComparison.Ordinal)}'\nparams:\n  x: ['$(touch PWNED)']\n");
        var run = await _cli.RunAsync("run", "shell.yaml");
        run.ExitCode.ShouldBe(2, run.ToString());
        Pwned().ShouldBeFalse();
    }

    [Fact]
    public async Task Values_added_later_meet_the_same_rule_and_plain_words_run()
    {
        _cli.Write("table.yaml", "name: table\ncommand: \"timeout 10 sh -c 'echo {x} > out-{x}.txt'\"\nparams:\n  x: []\npoints: []\n");
        (await _cli.RunAsync("run", "table.yaml", "--enqueue-only")).ExitCode.ShouldBe(0);
        var add = await _cli.RunAsync("add", "table", "--set", "x=$(touch PWNED)");
        add.ExitCode.ShouldBe(2, add.ToString());
        add.Stderr.Trim().ShouldStartWith("error: --set x: the value '$(touch PWNED)' would run as code: the command of table has {x} inside the argument");
        (await _cli.RunAsync("add", "table", "--set", "x=adam,sgd")).ExitCode.ShouldBe(0);
        var run = await _cli.RunAsync("run", "table.yaml");
        run.ExitCode.ShouldBe(0, run.ToString());
        File.ReadAllText(Path.Combine(_cli.Directory, "out-adam.txt")).ShouldBe("adam\n");
        Pwned().ShouldBeFalse();
    }
}
