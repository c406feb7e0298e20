namespace Expt.Storage;

/// <summary>What a worker asks for when it claims trials.</summary>
/// <param name="Worker">Who claims.</param>
/// <param name="Max">At most this many trials.</param>
/// <param name="Lease">How long the lease lasts unless renewed.</param>
/// <param name="StudyId">Only this study; null for any.</param>
/// <param name="ProvenanceJson">The worker's machine, recorded with each trial it claims.</param>
public sealed record ClaimRequest(WorkerIdentity Worker, int Max, TimeSpan Lease, string? StudyId = null, string? ProvenanceJson = null);
