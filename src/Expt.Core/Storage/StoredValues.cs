using Expt.Trials;

namespace Expt.Storage;

/// <summary>
/// Turns stored column values into records without trusting them: a store may hold rows written by an older Expt,
/// by hand, or by anyone with access to the database. An unknown status, a time beyond the calendar or a NaN
/// duration is read as something safe rather than failing every listing and page of its study.
/// </summary>
public static class StoredValues
{
    /// <summary>A stored status; an unknown one reads as failed (its trial is shown, and can be retried).</summary>
    public static TrialStatus Status(string? text) => TrialStatusNames.TryParse(text, out var status) ? status : TrialStatus.Failed;

    /// <summary>A stored Unix time in milliseconds, clamped to the range a date can hold.</summary>
    public static DateTimeOffset UnixMilliseconds(long milliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(milliseconds, -62_135_596_800_000L, 253_402_300_799_999L));

    /// <summary>A stored duration in milliseconds; null when it is not a finite, representable, non-negative number.</summary>
    public static TimeSpan? Milliseconds(double milliseconds) =>
        double.IsFinite(milliseconds) && milliseconds >= 0 && milliseconds < TimeSpan.MaxValue.TotalMilliseconds / 2 ? TimeSpan.FromMilliseconds(milliseconds) : null;

    /// <summary>
    /// Stored JSON (provenance, history, results...) parsed without trusting it: null for none, for JSON that does not
    /// parse, or nested deeper than <paramref name="maxDepth"/>. Every view reads stored JSON through this.
    /// </summary>
    public static System.Text.Json.JsonElement? Json(string? json, int maxDepth = 64)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { MaxDepth = maxDepth });
            return doc.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The most tags one trial keeps; more are dropped (a trial cannot grow its row without bound).</summary>
    public const int MaxTags = 64;

    /// <summary>A stored JSON array of tags; anything else (a damaged row, a non-string item) gives what could be read.</summary>
    public static IReadOnlyList<string> Tags(string? json)
    {
        if (string.IsNullOrEmpty(json) || json == "[]")
        {
            return [];
        }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array
                ? doc.RootElement.EnumerateArray().Where(e => e.ValueKind == System.Text.Json.JsonValueKind.String).Select(e => e.GetString()!).Take(MaxTags).ToList()
                : [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>Tags with some added and some removed: distinct, sorted, at most <see cref="MaxTags"/>.</summary>
    public static IReadOnlyList<string> MergeTags(IEnumerable<string> current, IEnumerable<string> add, IEnumerable<string> remove)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        var removed = remove.ToHashSet(StringComparer.Ordinal);
        return current.Concat(add).Where(t => !removed.Contains(t)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(MaxTags).ToList();
    }

    /// <summary>The longest note kept, in characters; a longer one is cut with a mark.</summary>
    public const int MaxNoteLength = 4096;

    /// <summary>A note as stored: trimmed, cut to <see cref="MaxNoteLength"/>, null when empty.</summary>
    public static string? Note(string? text)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }
        return trimmed.Length <= MaxNoteLength ? trimmed : trimmed[..(MaxNoteLength - 1)] + "…";
    }

    /// <summary>
    /// Text a trial handed back (an error, a note), made storable in every store: NUL, which PostgreSQL's text cannot
    /// hold, becomes U+FFFD, as an undecodable byte does.
    /// </summary>
    public static string? Storable(string? text) =>
        text is null || !text.Contains('\0', StringComparison.Ordinal) ? text : text.Replace('\0', '\uFFFD');
}
