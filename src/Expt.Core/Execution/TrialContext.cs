using Expt.Spec;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>Everything an executor needs to run one attempt of a trial.</summary>
/// <param name="Lease">The lease held for it.</param>
/// <param name="Params">Its parameter values.</param>
/// <param name="TrialDirectory">Its directory (created by the executor when it needs one).</param>
/// <param name="Slot">The worker slot running it, from 0.</param>
public sealed record TrialContext(TrialLease Lease, ParamSet Params, string TrialDirectory, int Slot)
{
    /// <summary>Stores step metrics while the trial runs (fenced by the lease); null when there is no store to flush to.</summary>
    public Func<IReadOnlyList<MetricPoint>, Task<bool>>? AppendMetrics { get; init; }

    /// <summary>Known secrets to mask in what the trial writes to its logs.</summary>
    public Provenance.SecretScrubber Scrubber { get; init; } = Provenance.SecretScrubber.None;

    /// <summary>The cores and GPU devices the worker gave the trial (nothing for a study without resources).</summary>
    public Resources.ResourceGrant Grant { get; init; } = Resources.ResourceGrant.None;
}
