using Expt.Spec;

namespace Expt.Execution;

/// <summary>Bounds on what one trial may hand back to Expt (set per study with <c>limits:</c>).</summary>
public sealed record TrialLimits
{
    /// <summary>The largest results document (<c>results.json</c>, or a C# trial's results); larger fails the trial.</summary>
    public long MaxResultsBytes { get; init; } = InputLimits.DefaultMaxResultsBytes;
}
