using Expt.Storage;

namespace Expt.Adaptive;

/// <summary>What one look at an adaptive study decided: replicates to add, points decided.</summary>
/// <param name="NewTrials">Replicates to enqueue.</param>
/// <param name="Decisions">Points decided now.</param>
public sealed record AdaptiveStep(IReadOnlyList<NewTrial> NewTrials, IReadOnlyList<PointDecision> Decisions)
{
    /// <summary>Nothing to do.</summary>
    public static AdaptiveStep None { get; } = new([], []);

    /// <summary>True when the step changes nothing.</summary>
    public bool IsEmpty => NewTrials.Count == 0 && Decisions.Count == 0;

    /// <summary>
    /// Why nothing can be decided at all (a rule reading a result no trial reports), or null. The study should stop:
    /// running on would take every point to its maximum for nothing.
    /// </summary>
    public string? Problem { get; init; }
}
