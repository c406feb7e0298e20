using System.Globalization;
using Expt.Storage;

namespace Expt.Cli.Slurm;

/// <summary>Where a study's Slurm files live (its directory under the runs directory) and which jobs were submitted.</summary>
internal static class SlurmJobs
{
    public static string Directory(IExptStore store, string study) => Path.Combine(store.RunsDirectory, study, "slurm");

    public static IReadOnlyList<string> Read(IExptStore store, string study)
    {
        var file = Path.Combine(Directory(store, study), "jobs");
        return File.Exists(file)
            ? File.ReadAllLines(file).Select(l => l.Split(' ')[0]).Where(id => id.Length > 0).ToList()
            : [];
    }

    /// <summary>Records a submitted job: an array of <paramref name="workers"/> tasks, or 0 for one MPI job.</summary>
    public static void Record(IExptStore store, string study, string jobId, int workers, DateTimeOffset when) =>
        File.AppendAllText(Path.Combine(Directory(store, study), "jobs"), string.Create(CultureInfo.InvariantCulture, $"{jobId} {workers} {when:O}\n"));
}
