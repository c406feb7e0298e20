using Expt.Analysis;

namespace Expt.Adaptive;

/// <summary>
/// Racing (<c>race:</c>): every point runs <paramref name="MinReplications"/> replicates, then rounds of one more each;
/// after each round the points statistically worse than the best are eliminated.
/// </summary>
/// <param name="Metric">The result points are ranked by.</param>
/// <param name="Goal">Which way is better (the study's declared goal for the metric).</param>
/// <param name="Test">How "worse than the best" is decided.</param>
/// <param name="Alpha">The significance level of a round.</param>
/// <param name="MinReplications">Replicates every point runs before any is eliminated.</param>
/// <param name="MaxReplications">The most replicates a point runs; the race ends when the survivors reach it.</param>
public sealed record RaceSettings(string Metric, Goal Goal, RaceTest Test, double Alpha, int MinReplications, int MaxReplications)
{
    /// <summary>The test's name in files and JSON: <c>t</c> or <c>friedman</c>.</summary>
    public string TestName => Test == RaceTest.T ? "t" : "friedman";

    /// <summary>Reads a test name (<c>t</c>, <c>t-test</c>, <c>friedman</c>, <c>f-race</c>); null when unknown.</summary>
    public static RaceTest? ParseTest(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "t" or "t-test" or "ttest" or "paired-t" => RaceTest.T,
        "friedman" or "f-race" or "frace" => RaceTest.Friedman,
        _ => null,
    };
}
