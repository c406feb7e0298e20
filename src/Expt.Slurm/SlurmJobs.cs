using System.Text.Json;
using Expt.Storage;

namespace Expt.Slurm;

/// <summary>
/// The Slurm jobs submitted for a study, recorded in the store with the study (so status and cancel work from any
/// machine), and where its Slurm files go (the study's directory).
/// </summary>
internal static class SlurmJobs
{
    public const string EventKind = "slurm.submit";

    /// <summary>A submitted job: an array of <paramref name="Workers"/> tasks, or one MPI job (0).</summary>
    public sealed record Job(string Id, int Workers, string Script);

    public static string Directory(IExptStore store, string study) => Path.Combine(TrialDirectories.StudyPath(store.RunsDirectory, study), "slurm");

    public static async Task<IReadOnlyList<Job>> ReadAsync(IExptStore store, StudyRecord study, CancellationToken cancellationToken)
    {
        var events = await store.GetStudyEventsAsync(study.Id, EventKind, cancellationToken).ConfigureAwait(false);
        return events.Select(e =>
        {
            using var doc = JsonDocument.Parse(e.DataJson);
            var r = doc.RootElement;
            return new Job(r.GetProperty("job").GetString()!, r.GetProperty("workers").GetInt32(), r.GetProperty("script").GetString()!);
        }).ToList();
    }

    public static Task RecordAsync(IExptStore store, StudyRecord study, Job job, CancellationToken cancellationToken) =>
        store.AddStudyEventAsync(study.Id, EventKind, JsonSerializer.Serialize(new Dictionary<string, object> { ["job"] = job.Id, ["workers"] = job.Workers, ["script"] = job.Script }), cancellationToken);
}
