using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Reads the tags and note a command trial wrote about itself: <c>$EXPT_TAGS</c> (one tag per line) and
/// <c>$EXPT_NOTE</c> (free text). Both are optional and bounded; a bad tag is a warning, never a failure.
/// </summary>
internal static class TrialLabels
{
    /// <summary>The file <c>$EXPT_TAGS</c> names, in the trial directory.</summary>
    public const string TagsFile = "tags.txt";

    private const int MaxBytes = 64 * 1024;

    public static (IReadOnlyList<string> Tags, string? Note, IReadOnlyList<string> Problems) Read(string directory)
    {
        var problems = new List<string>();
        var tags = new List<string>();
        var tagsText = TrialFiles.ReadText(Path.Combine(directory, TagsFile), MaxBytes, out var tagsError);
        if (tagsError is not null)
        {
            problems.Add($"{TagsFile}: {tagsError}");
        }
        foreach (var line in (tagsText ?? string.Empty).Split('\n'))
        {
            var tag = line.Trim();
            if (tag.Length == 0)
            {
                continue;
            }
            if (TagNames.Problem(tag) is { } problem)
            {
                problems.Add($"{TagsFile}: {problem}; the tag was not kept");
            }
            else if (tags.Count < StoredValues.MaxTags)
            {
                tags.Add(tag);
            }
        }
        var noteText = TrialFiles.ReadText(Path.Combine(directory, Trial.NotesFile), MaxBytes, out var noteError);
        if (noteError is not null)
        {
            problems.Add($"{Trial.NotesFile}: {noteError}");
        }
        return (tags, StoredValues.Note(noteText), problems);
    }
}
