using Expt.Spec;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>Everything an executor needs to run one attempt of a trial.</summary>
/// <param name="Lease">The lease held for it.</param>
/// <param name="Params">Its parameter values.</param>
/// <param name="TrialDirectory">Its directory (created by the executor when it needs one).</param>
/// <param name="Slot">The worker slot running it, from 0.</param>
public sealed record TrialContext(TrialLease Lease, ParamSet Params, string TrialDirectory, int Slot);
