using Expt.Spec;

namespace Expt.Execution;

/// <summary>
/// Warnings of a completed trial (bad metric lines, ...) as stored and shown: each cut to
/// <see cref="InputLimits.MaxWarningChars"/>, at most <see cref="InputLimits.MaxWarnings"/> of them, then a count, so a
/// trial writing a million bad lines cannot fill the store or the terminal.
/// </summary>
public static class TrialWarnings
{
    /// <summary>The warnings as one text (one "warning: ..." per line), or null when there are none.</summary>
    public static string? Join(IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        if (warnings.Count == 0)
        {
            return null;
        }
        var lines = warnings.Take(InputLimits.MaxWarnings).Select(w => "warning: " + Cut(w.ReplaceLineEndings(" "), InputLimits.MaxWarningChars)).ToList();
        if (warnings.Count > InputLimits.MaxWarnings)
        {
            lines.Add($"warning: … and {warnings.Count - InputLimits.MaxWarnings:N0} more warnings");
        }
        return string.Join('\n', lines);
    }

    /// <summary>Text cut to at most <paramref name="max"/> characters, saying how long it was.</summary>
    public static string Cut(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= max)
        {
            return text;
        }
        var note = $"… ({text.Length:N0} characters)";
        return text[..Math.Max(0, max - note.Length)] + note;
    }
}
