using Expt.Spec;

namespace Expt.Trials;

/// <summary>One trial of a plan: a parameter point and a replicate index, with its key and seed.</summary>
/// <param name="Seq">Position in the plan; trials run in this order unless priorities say otherwise.</param>
/// <param name="PointIndex">Index of the parameter point.</param>
/// <param name="Replicate">Replicate index, from 0.</param>
/// <param name="Params">The parameter values.</param>
/// <param name="Key">The stable key (see <see cref="TrialIdentity"/>).</param>
/// <param name="Seed">The trial seed.</param>
public sealed record PlannedTrial(long Seq, int PointIndex, int Replicate, ParamSet Params, string Key, long Seed)
{
    /// <summary>The random draw's index within its grid point (0 without random parameters): <c>{sample}</c> in trial names.</summary>
    public int Sample { get; init; }
}
