using System.CommandLine;

namespace Expt.Cli.Commands.Slurm;

/// <summary><c>expt slurm submit|status|cancel</c>: studies as Slurm job arrays of workers.</summary>
internal sealed class SlurmCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly ExptCommand[] _subcommands =
    [
        new SlurmSubmitCommand(env, globals),
        new SlurmStatusCommand(env, globals),
        new SlurmCancelCommand(env, globals),
    ];

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt slurm submit study.yaml --workers 8 --cpus-per-worker 4 --time 02:00:00 --store postgresql://expt@db/expt",
        "expt slurm status my-study",
        "expt slurm cancel my-study",
    ];

    public override Command Build()
    {
        var command = new Command("slurm", "Run a study on a Slurm cluster: a job array of workers on a PostgreSQL store, or one MPI job on a SQLite store.");
        foreach (var subcommand in _subcommands)
        {
            command.Subcommands.Add(subcommand.Build());
        }
        return command;
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken) => Task.FromResult(ExitCodes.UsageError);
}
