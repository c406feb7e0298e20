using System.CommandLine;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt retry STUDY</c>: failed, timed-out and cancelled trials go back to pending, in place.</summary>
internal sealed class RetryCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string?> _status = new("--status") { Description = "Which statuses to reset (default failed,timeout,cancelled; running resets trials whose worker is gone)" };
    private readonly Option<string[]> _ids = new("--id") { Description = "Only these trials (id prefixes): --id A B or --id A --id B", AllowMultipleArgumentsPerToken = true };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt retry lr-sweep",
        "expt retry lr-sweep --status timeout",
        "expt retry lr-sweep --status failed,running",
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
        if (statuses.Contains(TrialStatus.Pending))
        {
            throw new UserException("--status: pending trials are already waiting to run; reset completed, failed, timeout, cancelled or running ones");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var ids = (parseResult.GetValue(_ids) ?? []) is { Length: > 0 } prefixes
            ? (await Lookup.TrialsAsync(store, prefixes, cancellationToken).ConfigureAwait(false)).Select(t => t.Id).ToList()
            : null;
        var count = await store.ResetAsync(study.Id, [.. statuses.Where(s => s != TrialStatus.Running)], ids, cancellationToken).ConfigureAwait(false);
        var refused = 0;
        if (statuses.Contains(TrialStatus.Running))
        {
            // A running trial is reset only when its worker is gone: a dead process on this host, or a lease that ran
            // out. A live worker would otherwise finish it a second time, beside the new attempt.
            var running = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, Statuses = [TrialStatus.Running] }, cancellationToken).ConfigureAwait(false);
            var now = Env.Time.GetUtcNow();
            var gone = new List<string>();
            foreach (var trial in running.Where(t => ids is null || ids.Contains(t.Id)))
            {
                if (WorkerGone(trial, now) is { } reason)
                {
                    gone.Add(trial.Id);
                    await Env.Error.WriteLineAsync($"{trial.Id}: {reason}").ConfigureAwait(false);
                }
                else if (++refused <= 10)
                {
                    await Env.Error.WriteLineAsync(
                        $"error: {trial.Id} is held by a live worker {trial.LeaseOwner ?? "?"} (host {trial.Host ?? "?"}, pid {trial.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}) " +
                        $"whose lease runs until {trial.LeaseUntil?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "?"}; stop that worker, or expt cancel --id {trial.Id}").ConfigureAwait(false);
                }
            }
            if (refused > 10)
            {
                await Env.Error.WriteLineAsync($"error: … and {refused - 10:N0} more running trials with a live worker").ConfigureAwait(false);
            }
            count += gone.Count == 0 ? 0 : await store.ResetAsync(study.Id, [TrialStatus.Running], gone, cancellationToken).ConfigureAwait(false);
        }
        await Env.Error.WriteLineAsync($"reset {Text.Counted.Of(count, "trial")} of {study.Name} to pending; run the study again to run them").ConfigureAwait(false);
        return refused > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }

    /// <summary>Why the worker of a running trial is known to be gone, or null when it may be alive.</summary>
    private static string? WorkerGone(TrialRecord trial, DateTimeOffset now)
    {
        if (trial.LeaseUntil is not { } until || until < now)
        {
            return $"its lease ran out at {trial.LeaseUntil?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} (worker {trial.LeaseOwner ?? "?"})";
        }
        if (string.Equals(trial.Host, Environment.MachineName, StringComparison.Ordinal) && trial.Pid is { } pid && !Alive(pid))
        {
            return $"its worker (pid {pid} on this host) is gone";
        }
        return null;
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
