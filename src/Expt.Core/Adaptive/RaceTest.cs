namespace Expt.Adaptive;

/// <summary>How a race decides that a point is worse than the best.</summary>
public enum RaceTest
{
    /// <summary>
    /// Paired one-sided t-tests of each point against the current best over the same replicates, with Holm's
    /// step-down correction over the comparisons of a round.
    /// </summary>
    T,

    /// <summary>
    /// F-Race (Birattari et al.): the Friedman test on within-replicate ranks; when it rejects, Conover's post-hoc
    /// comparisons against the best-ranked point. Rank-based: robust to outliers and to scales that differ by replicate.
    /// </summary>
    Friedman,
}
