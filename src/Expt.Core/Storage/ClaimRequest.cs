namespace Expt.Storage;

/// <summary>What a worker asks for when it claims trials.</summary>
/// <param name="Worker">Who claims.</param>
/// <param name="Max">At most this many trials.</param>
/// <param name="Lease">How long the lease lasts unless renewed.</param>
/// <param name="StudyId">Only this study; null for any.</param>
/// <param name="ProvenanceJson">The worker's machine, recorded with each trial it claims.</param>
public sealed record ClaimRequest(WorkerIdentity Worker, int Max, TimeSpan Lease, string? StudyId = null, string? ProvenanceJson = null)
{
    /// <summary>The invocation (<c>expt run</c>, <c>expt worker</c>) claiming, recorded with each trial: see <see cref="IStudyCatalog.RecordRunAsync"/>.</summary>
    public string? RunId { get; init; }

    /// <summary>Claim only among these trials (<c>--where</c> picks them), or any pending trial when null.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>
    /// What the worker has free: only trials that fit are handed over (see <see cref="Resources.ResourceBudget.Pack"/>).
    /// Null to claim by count alone.
    /// </summary>
    public Resources.ResourceBudget? Budget { get; init; }
}
