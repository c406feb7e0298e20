using System.Text.Json;
using Expt.Storage;

namespace Expt.Slurm;

/// <summary>
/// The Slurm jobs submitted for a study, recorded in the store with the study (so status and cancel work from any
/// machine), and where its Slurm files go (the study's directory).
/// </summary>
public static class SlurmJobs
{
    public const string EventKind = "slurm.submit";

    /// <summary>A submitted job: an array of <paramref name="Workers"/> tasks, or one MPI job (0).</summary>
    public sealed record Job(string Id, int Workers, string Script);

    public static string Directory(IExptStore store, string study) => Path.Combine(TrialDirectories.StudyPath(store.RunsDirectory, study), "slurm");

    public static async Task<IReadOnlyList<Job>> ReadAsync(IExptStore store, StudyRecord study, CancellationToken cancellationToken)
    {
        var events = await store.GetStudyEventsAsync(study.Id, EventKind, cancellationToken).ConfigureAwait(false);
        // A damaged event (by hand, or another program) is left out rather than failing every Slurm command.
        var jobs = new List<Job>();
        foreach (var e in events)
        {
            if (StoredValues.Json(e.DataJson) is { ValueKind: JsonValueKind.Object } r
                && r.TryGetProperty("job", out var job) && job.ValueKind == JsonValueKind.String
                && r.TryGetProperty("workers", out var workers) && workers.ValueKind == JsonValueKind.Number && workers.TryGetInt32(out var count)
                && r.TryGetProperty("script", out var script) && script.ValueKind == JsonValueKind.String)
            {
                jobs.Add(new Job(job.GetString()!, count, script.GetString()!));
            }
        }
        return jobs;
    }

    public static Task RecordAsync(IExptStore store, StudyRecord study, Job job, CancellationToken cancellationToken) =>
        store.AddStudyEventAsync(study.Id, EventKind, JsonSerializer.Serialize(new Dictionary<string, object> { ["job"] = job.Id, ["workers"] = job.Workers, ["script"] = job.Script }), cancellationToken);
}
