using System.CommandLine;

namespace Expt.Cli.Commands;

/// <summary><c>expt cancel STUDY | --id ID</c>: pending and running trials become cancelled; running ones stop at their next heartbeat.</summary>
internal sealed class CancelCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string?> _study = new("study") { Description = "The study", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string[]> _ids = new("--id") { Description = "Only these trials (id prefixes): --id A B or --id A --id B", AllowMultipleArgumentsPerToken = true };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt cancel lr-sweep",
        "expt cancel --id 3fa9c1d2",
    ];

    public override Command Build()
    {
        var command = new Command("cancel", "Cancel pending and running trials. Workers running them stop them at their next heartbeat.");
        command.Arguments.Add(_study);
        command.Options.Add(_ids);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_study);
        var prefixes = parseResult.GetValue(_ids) ?? [];
        if (name is null && prefixes.Length == 0)
        {
            throw new UserException("expected a study name or --id ID");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var studyId = name is null ? null : (await Lookup.StudyAsync(store, name, cancellationToken).ConfigureAwait(false)).Id;
        var ids = prefixes.Length > 0
            ? (await Lookup.TrialsAsync(store, prefixes, cancellationToken).ConfigureAwait(false)).Select(t => t.Id).ToList()
            : null;
        var count = await store.CancelAsync(studyId, ids, cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync($"cancelled {Text.Counted.Of(count, "trial")}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
