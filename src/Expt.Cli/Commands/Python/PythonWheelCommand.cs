using System.CommandLine;
using Expt.Execution;

namespace Expt.Cli.Commands.Python;

/// <summary><c>expt python wheel</c>: builds the <c>expt</c> Python package as a wheel for <c>pip install</c>.</summary>
internal sealed class PythonWheelCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Option<string?> _output = new("--output", "-o") { Description = "The directory the wheel is written to (default: the current directory)" };

    public override Command Build()
    {
        var command = new Command("wheel", "Build the expt Python package as a wheel (then: pip install expt-VERSION-py3-none-any.whl)");
        command.Options.Add(_output);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var package = PythonCommand.Package();
        var directory = Path.GetFullPath(parseResult.GetValue(_output) ?? ".", Env.WorkingDirectory);
        if (File.Exists(directory))
        {
            throw new UserException($"-o: {directory} is a file; expected the directory the wheel goes to");
        }
        Directory.CreateDirectory(directory);
        // The name says what it is, so an existing file of that name is an older build of the same wheel.
        var target = OutputFile.Check(Path.Combine(directory, PythonWheel.FileName(PythonWheel.Version(package))), "-o", Env.WorkingDirectory, [".whl"], force: false);
        await target.WriteAsync((stream, _) =>
        {
            PythonWheel.Write(package, stream);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync(target.Done).ConfigureAwait(false);
        Env.Out.Profile.Out.Writer.WriteLine(target.Path);
        return ExitCodes.Success;
    }
}
