using System.CommandLine;

namespace Expt.Cli.Commands.Python;

/// <summary><c>expt python path</c>: the directory holding the <c>expt</c> package, for <c>PYTHONPATH</c>.</summary>
internal sealed class PythonPathCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    public override Command Build() => Wire(new Command("path", "Print the directory that holds the expt Python package, for PYTHONPATH"));

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Env.Out.Profile.Out.Writer.WriteLine(PythonCommand.Package());
        return Task.FromResult(ExitCodes.Success);
    }
}
