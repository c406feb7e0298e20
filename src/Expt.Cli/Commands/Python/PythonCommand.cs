using System.CommandLine;

namespace Expt.Cli.Commands.Python;

/// <summary>
/// <c>expt python wheel|path</c>: the <c>expt</c> Python package that ships with this program, for code outside trials
/// (a notebook, an analysis script): as a wheel to <c>pip install</c>, or as a directory for <c>PYTHONPATH</c>. Trials
/// need neither: Expt puts the package on their path itself.
/// </summary>
internal sealed class PythonCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly ExptCommand[] _subcommands =
    [
        new PythonWheelCommand(env, globals),
        new PythonPathCommand(env, globals),
    ];

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt python wheel -o dist/ && pip install dist/expt-*.whl",
        "export PYTHONPATH=\"$(expt python path)\"",
    ];

    public override Command Build()
    {
        var command = new Command("python", "The expt Python package (import expt) for notebooks and scripts outside trials: a wheel to pip install, or its directory.");
        foreach (var subcommand in _subcommands)
        {
            command.Subcommands.Add(subcommand.Build());
        }
        return command;
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken) => Task.FromResult(ExitCodes.UsageError);

    /// <summary>The package's directory, or a one-line error when this installation lacks it.</summary>
    public static string Package() => Execution.PythonPackage.Directory
        ?? throw new UserException("the expt Python package is missing from this installation (python/expt beside the expt program); reinstall Expt");
}
