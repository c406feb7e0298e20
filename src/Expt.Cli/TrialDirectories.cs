using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// Where a trial's files are on this machine. A trial that ran on another machine has no directory here; when its
/// small files were kept in the store (PostgreSQL without a shared --artifacts directory) they are copied into the
/// local runs directory on first use, so show, logs and the results API read them like any other.
/// </summary>
internal static class TrialDirectories
{
    public static async Task<string> LocalAsync(IExptStore store, TrialRecord trial, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(store.RunsDirectory, trial.StudyName, trial.Id);
        if (Directory.Exists(directory))
        {
            return directory;
        }
        var files = await store.ListFilesAsync(trial.Id, cancellationToken).ConfigureAwait(false);
        if (files.Count == 0)
        {
            return directory;
        }
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        foreach (var file in files)
        {
            var target = Path.GetFullPath(Path.Combine(directory, file.Path));
            // Paths come from the store: never let one write outside the trial's directory.
            if (!target.StartsWith(root, StringComparison.Ordinal))
            {
                continue;
            }
            var content = await store.ReadFileAsync(trial.Id, file.Path, cancellationToken).ConfigureAwait(false);
            if (content is null)
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllBytesAsync(target, content, cancellationToken).ConfigureAwait(false);
        }
        return directory;
    }
}
