namespace Expt.Execution;

/// <summary>What a run changed of a study's unfinished trials to match its file (<see cref="StudyNarrowing"/>).</summary>
/// <param name="Withdrawn">Pending trials the file no longer plans, now cancelled as withdrawn.</param>
/// <param name="Requeued">Cancelled trials back to pending: withdrawn ones the file plans again, and ones a stopped run interrupted.</param>
/// <param name="CancelledByHand">Trials cancelled with <c>expt cancel</c> or the dashboard, left cancelled until <c>expt retry</c>.</param>
/// <param name="StillWithdrawn">Trials withdrawn by an earlier run that the file still does not plan.</param>
/// <param name="Why">How many were withdrawn for which reason, for the run's message; null when none were.</param>
public sealed record NarrowingReport(int Withdrawn, int Requeued, int CancelledByHand, int StillWithdrawn, string? Why)
{
    /// <summary>Nothing to withdraw, bring back or keep.</summary>
    public static NarrowingReport None { get; } = new(0, 0, 0, 0, null);
}
