namespace Expt.Storage;

/// <summary>
/// Where a trial's files are on this machine. A trial that ran on another machine has no directory here; when its
/// small files were kept in the store (PostgreSQL without a shared --artifacts directory) they are copied into the
/// local runs directory on first use, so show, logs and the results API read them like any other.
/// </summary>
public static class TrialDirectories
{
    /// <summary>The trial's directory on this machine, with the files the store keeps for it copied in when it was missing.</summary>
    public static Task<string> LocalAsync(IExptStore store, TrialRecord trial, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return LocalAsync(store, trial.StudyName, trial.Id, cancellationToken);
    }

    /// <summary>The trial's directory on this machine, with the files the store keeps for it copied in when it was missing.</summary>
    public static async Task<string> LocalAsync(IExptStore store, string studyName, string trialId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(studyName);
        ArgumentNullException.ThrowIfNull(trialId);
        var directory = Path.Combine(store.RunsDirectory, studyName, trialId);
        if (Directory.Exists(directory))
        {
            return directory;
        }
        var files = await store.ListFilesAsync(trialId, cancellationToken).ConfigureAwait(false);
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
            var content = await store.ReadFileAsync(trialId, file.Path, cancellationToken).ConfigureAwait(false);
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
