using System.CommandLine;
using System.Globalization;
using Expt.Cli.Output;
using Expt.Slurm;

namespace Expt.Cli.Commands.Slurm;

/// <summary><c>expt slurm status STUDY</c>: Slurm's view of the study's array tasks joined with the store's.</summary>
internal sealed class SlurmStatusCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _studyName = new("study") { Description = "The study" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override Command Build()
    {
        var command = new Command("status", "Show a study's Slurm tasks (pending, running, ended, died) with its trials by status.");
        command.Arguments.Add(_studyName);
        command.Options.Add(_format);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_studyName)!, cancellationToken).ConfigureAwait(false);
        var jobs = await SlurmJobs.ReadAsync(store, study, cancellationToken).ConfigureAwait(false);
        if (jobs.Count == 0)
        {
            throw new UserException($"no Slurm jobs were submitted for study {study.Name}; submit with: expt slurm submit FILE --workers N", ExitCodes.NotFound);
        }
        var queue = await SlurmClient.QueueAsync(jobs.Select(j => j.Id).ToList(), cancellationToken).ConfigureAwait(false);
        var progress = await store.GetProgressAsync(study.Id, Env.Time.GetUtcNow() - TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        var status = new StudyStatus(study.Name, progress, TimeSpan.FromMinutes(1), progress.Running.Select(t => t.Started).Min());
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (job, workers, _) in jobs)
        {
            if (workers == 0)
            {
                // One MPI job: rank 0 holds every lease of the study.
                var entry = queue.FirstOrDefault(q => q.JobId == job);
                rows.Add([job, entry?.State.ToLowerInvariant() ?? "ended", entry is { State: not "RUNNING" } ? entry.Reason : string.Empty,
                    entry is null ? "0" : progress.Running.Count.ToString(CultureInfo.InvariantCulture), progress.Running.Max(t => t.Heartbeat) is { } last ? Spec.DurationParser.Format(progress.Now - last) + " ago" : "-"]);
                continue;
            }
            for (var task = 0; task < workers; task++)
            {
                var taskId = task.ToString(CultureInfo.InvariantCulture);
                var queued = queue.FirstOrDefault(q => q.JobId == job && q.TaskId == taskId);
                var held = progress.Running.Where(t => t.LeaseOwner?.StartsWith($"slurm-{job}_{taskId}-", StringComparison.Ordinal) == true).ToList();
                var state = queued?.State.ToLowerInvariant() ?? (held.Count > 0 ? "died" : "ended");
                rows.Add([$"{job}_{taskId}", state, queued?.Reason is { } reason && reason != "None" && queued.State != "RUNNING" ? reason : string.Empty,
                    held.Count.ToString(CultureInfo.InvariantCulture), held.Max(t => t.Heartbeat) is { } beat ? Spec.DurationParser.Format(progress.Now - beat) + " ago" : "-"]);
            }
        }
        var table = new TableData(["TASK", "STATE", "REASON", "RUNNING TRIALS", "HEARTBEAT"], rows) { RightAligned = new HashSet<int> { 3 } };
        var format = parseResult.GetValue(_format);
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("study");
                status.WriteJson(w);
                w.WriteStartArray("tasks");
                foreach (var row in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("task", row[0]);
                    w.WriteString("state", row[1]);
                    w.WriteString("reason", row[2]);
                    w.WriteNumber("running_trials", int.Parse(row[3], CultureInfo.InvariantCulture));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }
        await Env.Out.Profile.Out.Writer.WriteLineAsync(status.Headline()).ConfigureAwait(false);
        TableRenderer.Write(Env, table, format);
        if (rows.Any(r => r[1] == "died"))
        {
            await Env.Out.Profile.Out.Writer.WriteLineAsync("died: the task is gone but still holds trials; they return to the queue when their leases run out").ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }
}
