namespace Expt.Adaptive;

/// <summary>
/// Sequential stopping per point (<c>replications: {min, max, until}</c>): every point runs <paramref name="Min"/>
/// replicates, then one more at a time until <paramref name="Until"/> is met by its completed replicates or
/// <paramref name="Max"/> replicates ran.
/// </summary>
/// <param name="Min">Completed replicates before the rule is first looked at.</param>
/// <param name="Max">The most replicates a point runs (failed ones included).</param>
/// <param name="Until">When a point has enough.</param>
public sealed record SequentialStopping(int Min, int Max, StoppingRule Until);
