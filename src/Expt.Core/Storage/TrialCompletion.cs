namespace Expt.Storage;

/// <summary>A lease and how its attempt ended, for <see cref="ITrialQueue.CompleteAsync"/>.</summary>
/// <param name="Lease">The lease.</param>
/// <param name="Outcome">The outcome.</param>
public sealed record TrialCompletion(TrialLease Lease, TrialOutcome Outcome);
