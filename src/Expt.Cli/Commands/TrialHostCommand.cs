using System.CommandLine;
using Expt.Execution;
using Expt.Isolation;

namespace Expt.Cli.Commands;

/// <summary>
/// The hidden worker-process mode used by <c>--isolate</c>: reads trial requests on stdin, runs each with the named
/// experiment, answers on stdout. Anything the trial prints goes to stderr.
/// </summary>
internal sealed class TrialHostCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    public const string Name = Expt.Isolation.TrialHostProtocol.CommandName;

    private readonly Argument<string> _experiment = new("experiment");

    public override Command Build()
    {
        var command = new Command(Name, "Internal: run trials for an isolated study (started by expt run --isolate)") { Hidden = true };
        command.Arguments.Add(_experiment);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_experiment)!;
        var experiment = Env.Experiments.Find(name) ?? throw new UserException($"no experiment named '{name}'");
        var protocolOut = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        Console.SetOut(Console.Error);
        var executor = new InProcessExecutor(experiment.Body, timeout: null, Env.Time);
        // Say when ready, so the parent's trial timeout never counts this process's start-up.
        await protocolOut.WriteLineAsync(TrialHostProtocol.Ready).ConfigureAwait(false);
        using var input = new StreamReader(Console.OpenStandardInput());
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var context = TrialHostProtocol.ParseRequest(line);
            var outcome = await executor.ExecuteAsync(context, CancellationToken.None).ConfigureAwait(false);
            await protocolOut.WriteLineAsync(TrialHostProtocol.Response(outcome)).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }
}
