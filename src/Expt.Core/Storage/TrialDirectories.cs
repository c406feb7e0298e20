namespace Expt.Storage;

/// <summary>
/// Where a trial's files are on this machine. A trial that ran on another machine has no directory here; when its
/// small files were kept in the store (PostgreSQL without a shared --artifacts directory) they are copied into the
/// local runs directory on first use, so show, logs and the results API read them like any other.
/// </summary>
public static class TrialDirectories
{
    /// <summary>
    /// The directory of a study's trials: <c>RUNS/STUDY</c>. Names come from the store, which may hold anything: a
    /// name that is not a valid study name (<c>../..</c>) maps to a directory under <c>RUNS/.invalid</c>, never outside.
    /// </summary>
    public static string StudyPath(string runsDirectory, string studyName)
    {
        ArgumentNullException.ThrowIfNull(runsDirectory);
        ArgumentNullException.ThrowIfNull(studyName);
        return Spec.StudySpecBinder.IsValidStudyName(studyName) ? Path.Combine(runsDirectory, studyName) : Quarantine(runsDirectory, studyName);
    }

    /// <summary>The directory of one trial: <c>RUNS/STUDY/TRIAL</c> (see <see cref="StudyPath"/> for names that cannot be one).</summary>
    public static string TrialPath(string runsDirectory, string studyName, string trialId)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        var valid = trialId.Length is > 0 and <= 64 && trialId.All(char.IsAsciiLetterOrDigit);
        return valid ? Path.Combine(StudyPath(runsDirectory, studyName), trialId) : Quarantine(runsDirectory, studyName + "/" + trialId);
    }

    private static string Quarantine(string runsDirectory, string name) =>
        Path.Combine(runsDirectory, ".invalid", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16]);

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
        var directory = TrialPath(store.RunsDirectory, studyName, trialId);
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
            if (file.Path.Length == 0 || file.Path.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(file.Path))
            {
                continue;
            }
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
