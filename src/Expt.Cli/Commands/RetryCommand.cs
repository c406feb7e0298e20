using System.CommandLine;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt retry STUDY</c>: failed, timed-out and cancelled trials go back to pending, in place.</summary>
internal sealed class RetryCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string?> _status = new("--status") { Description = "Which statuses to reset (default failed,timeout,cancelled)" };
    private readonly Option<string[]> _ids = new("--id") { Description = "Only these trials (id prefixes)" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt retry lr-sweep",
        "expt retry lr-sweep --status timeout",
    ];

    public override Command Build()
    {
        var command = new Command("retry", "Reset trials to pending so the next run re-runs them (ids are kept; their attempts restart).");
        command.Arguments.Add(_study);
        command.Options.Add(_status);
        command.Options.Add(_ids);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var statuses = Lookup.Statuses(parseResult.GetValue(_status), [TrialStatus.Failed, TrialStatus.Timeout, TrialStatus.Cancelled]);
        if (statuses.Any(s => s is TrialStatus.Running or TrialStatus.Pending))
        {
            throw new UserException("--status: only completed, failed, timeout and cancelled trials can be reset");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var ids = (parseResult.GetValue(_ids) ?? []) is { Length: > 0 } prefixes
            ? (await Lookup.TrialsAsync(store, prefixes, cancellationToken).ConfigureAwait(false)).Select(t => t.Id).ToList()
            : null;
        var count = await store.ResetAsync(study.Id, statuses, ids, cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync($"reset {Text.Counted.Of(count, "trial")} of {study.Name} to pending; run the study again to run them").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
