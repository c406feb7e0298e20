namespace Expt.IO;

/// <summary>The <c>.expt</c> folder of a project: where the default store, spools and trial directories live.</summary>
public static class ExptFolder
{
    /// <summary>The default store, relative to the working directory.</summary>
    public const string DefaultStore = ".expt/expt.db";

    /// <summary>
    /// A <c>.expt</c> folder gets a <c>.gitignore</c> of <c>*</c>: the store is not part of the code, and must not show
    /// as untracked in the git state recorded as provenance (nor be committed by <c>git add .</c>). Other folders are
    /// left alone; best effort (a read-only folder still opens, and the store reports its own errors).
    /// </summary>
    public static void IgnoreInGit(string directory, bool create = true)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) != ".expt")
        {
            return;
        }
        try
        {
            if (create)
            {
                Directory.CreateDirectory(directory);
            }
            var ignore = Path.Combine(directory, ".gitignore");
            if (Directory.Exists(directory) && !Path.Exists(ignore))
            {
                File.WriteAllText(ignore, "# Written by expt: the store and trial files are not source code.\n*\n");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
