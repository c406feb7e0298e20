using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>
/// Collects a finished trial's files to keep in the store (a store without a shared file system): regular files
/// only, bounded per file and in all; a link is never followed, so a link to <c>/etc/shadow</c> is not copied.
/// </summary>
internal static class TrialFileCollector
{
    /// <summary>Files of at most <paramref name="limit"/> bytes each, <paramref name="total"/> in all, smallest first (so one huge artifact cannot crowd out the logs).</summary>
    public static List<TrialFile> Collect(string directory, long limit, long total)
    {
        var files = new List<TrialFile>();
        foreach (var file in TrialFiles.List(directory).Entries.Where(e => e.Kind == TrialFileKind.File).OrderBy(e => e.Length))
        {
            if (file.Length > limit || file.Length > total)
            {
                continue;
            }
            try
            {
                if (TrialFiles.ReadBounded(Path.Combine(directory, file.Path), limit, out _) is { } content)
                {
                    files.Add(new TrialFile(file.Path, content));
                    total -= content.Length;
                }
            }
            catch (IOException)
            {
                // Deleted or locked meanwhile: it stays on disk only.
            }
        }
        return files;
    }
}
