namespace Expt.Adaptive;

/// <summary>The outcome of one round of a race.</summary>
/// <param name="Best">The best candidate.</param>
/// <param name="PValues">Each candidate's p-value against the best (adjusted as the test prescribes; 1 for the best).</param>
/// <param name="Eliminated">Which candidates are worse than the best.</param>
public sealed record RaceRound(int Best, double[] PValues, bool[] Eliminated);
