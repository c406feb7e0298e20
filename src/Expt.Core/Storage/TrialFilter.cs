using Expt.Trials;

namespace Expt.Storage;

/// <summary>Which trials a query returns, in study then sequence order.</summary>
public sealed record TrialFilter
{
    /// <summary>Only this study.</summary>
    public string? StudyId { get; init; }

    /// <summary>Only these statuses.</summary>
    public IReadOnlyList<TrialStatus>? Statuses { get; init; }

    /// <summary>Only trials with this tag, their own or their study's.</summary>
    public string? Tag { get; init; }

    /// <summary>Only these trial ids.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>At most this many.</summary>
    public int? Limit { get; init; }

    /// <summary>Skip this many.</summary>
    public int Offset { get; init; }

    /// <summary>
    /// When set, the large text columns (results, error, provenance, history) come back cut to this many characters:
    /// a listing that shows only the start of each never loads a whole large result.
    /// </summary>
    public int? PreviewChars { get; init; }
}
