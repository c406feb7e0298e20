using Expt.Provenance;
using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>
/// What a trial hands back, made fit to store, in one place: every known secret value masked wherever it is (its
/// error and warnings, results, note, tags, the names of its metrics and artifacts, the files kept in the store), the
/// secret patterns (URL passwords, <c>--password X</c>, token shapes) masked in its text, and NUL, which PostgreSQL's
/// text cannot hold, replaced.
/// </summary>
internal static class OutcomeScrubber
{
    public static TrialOutcome Scrub(TrialOutcome outcome, SecretScrubber scrubber)
    {
        string? Text(string? text) => text is null ? null : StoredValues.Storable(Redactor.RedactText(scrubber.Scrub(text)));
        var cleaned = outcome with
        {
            Error = Text(outcome.Error),
            Note = Text(outcome.Note),
            // A tag holding a secret cannot be kept as a word: it goes, masked, as the mask itself.
            Tags = outcome.Tags.Count == 0 ? outcome.Tags : [.. outcome.Tags.Select(t => Masked(t, scrubber) ? Redactor.Mask : t).Distinct(StringComparer.Ordinal)],
            Metrics = Metrics(outcome.Metrics, scrubber),
            ResultsJson = outcome.ResultsJson is null ? null : Redactor.RedactShapes(scrubber.Scrub(outcome.ResultsJson)),
        };
        if (scrubber.Count == 0 || outcome.Files.Count == 0)
        {
            return cleaned;
        }
        return cleaned with { Files = [.. outcome.Files.Select(f => new TrialFile(scrubber.Scrub(f.Path), scrubber.Scrub(f.Content.ToArray())))] };
    }

    /// <summary>Metric points with any secret in their names masked (the same list when there is none).</summary>
    public static IReadOnlyList<MetricPoint> Metrics(IReadOnlyList<MetricPoint> points, SecretScrubber scrubber)
    {
        if (points.Count == 0)
        {
            return points;
        }
        // Names repeat: each distinct name is looked at once.
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var changed = false;
        foreach (var point in points)
        {
            if (!names.ContainsKey(point.Name))
            {
                var name = Redactor.RedactShapes(scrubber.Scrub(point.Name));
                names[point.Name] = name;
                changed |= name != point.Name;
            }
        }
        return changed ? [.. points.Select(p => p with { Name = names[p.Name] })] : points;
    }

    /// <summary>
    /// Renames what the trial left in its directory under a name holding a known secret (links moved as links, never
    /// followed), with a warning on the trial; what is listed, shown or kept then never shows the secret.
    /// </summary>
    public static TrialOutcome RenameFiles(string directory, TrialOutcome outcome, SecretScrubber scrubber)
    {
        if (scrubber.Count == 0 || !Directory.Exists(directory))
        {
            return outcome;
        }
        var renamed = 0;
        foreach (var entry in TrialFiles.List(directory).Entries)
        {
            var masked = scrubber.Scrub(entry.Path);
            if (masked == entry.Path)
            {
                continue;
            }
            try
            {
                var target = Path.Combine(directory, masked);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(Path.Combine(directory, entry.Path), target, overwrite: false);
                renamed++;
            }
            catch (IOException)
            {
                // Taken already (two secrets masked to one name), or gone: the listing masks it in any case.
            }
        }
        if (renamed == 0)
        {
            return outcome;
        }
        RemoveEmptyDirectories(directory, scrubber);
        var warning = TrialWarnings.Join([$"{Text.Counted.Of(renamed, "artifact")} had a secret in {(renamed == 1 ? "its" : "their")} name and {(renamed == 1 ? "was" : "were")} renamed ({Redactor.Mask} in place of the secret)"])!;
        return outcome with { Error = outcome.Error is null ? warning : outcome.Error + "\n" + warning };
    }

    // Folders named after a secret, emptied by the renames above.
    private static void RemoveEmptyDirectories(string directory, SecretScrubber scrubber)
    {
        foreach (var folder in Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = TrialFiles.MaxDepth, AttributesToSkip = FileAttributes.ReparsePoint }).OrderByDescending(d => d.Length).ToList())
        {
            if (scrubber.Scrub(folder) != folder && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }
        }
    }

    private static bool Masked(string text, SecretScrubber scrubber) => scrubber.Scrub(text) != text || Redactor.RedactText(text) != text;
}
