using System.CommandLine;
using Expt.Slurm;

namespace Expt.Cli.Commands.Slurm;

/// <summary><c>expt slurm cancel STUDY</c>: stops the study's Slurm jobs; their workers give their trials back first.</summary>
internal sealed class SlurmCancelCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _studyName = new("study") { Description = "The study" };

    public override Command Build()
    {
        var command = new Command("cancel", "Cancel a study's Slurm jobs; running workers give their trials back to the queue first.");
        command.Arguments.Add(_studyName);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_studyName)!, cancellationToken).ConfigureAwait(false);
        var jobs = (await SlurmJobs.ReadAsync(store, study, cancellationToken).ConfigureAwait(false)).Select(j => j.Id).ToList();
        if (jobs.Count == 0)
        {
            throw new UserException($"no Slurm jobs were submitted for study {study.Name}", ExitCodes.NotFound);
        }
        // First the warning signal to running workers' batch shells (the worker itself): they give their trials back
        // and exit; then everything left (pending tasks) is cancelled.
        await SlurmClient.CancelAsync(["--batch", "--signal=USR2", .. jobs], cancellationToken).ConfigureAwait(false);
        var deadline = Env.Time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (Env.Time.GetUtcNow() < deadline)
        {
            var queue = await SlurmClient.QueueAsync(jobs, cancellationToken).ConfigureAwait(false);
            if (!queue.Any(t => t.State == "RUNNING"))
            {
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(300), Env.Time, cancellationToken).ConfigureAwait(false);
        }
        await SlurmClient.CancelAsync([.. jobs], cancellationToken).ConfigureAwait(false);
        var counts = await store.CountAsync(study.Id, cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync(
            $"cancelled job(s) {string.Join(", ", jobs)}; study {study.Name}: {counts.GetValueOrDefault(Trials.TrialStatus.Pending)} pending, " +
            $"{counts.GetValueOrDefault(Trials.TrialStatus.Running)} running, {counts.GetValueOrDefault(Trials.TrialStatus.Completed)} completed").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
