using Expt.Spec;

namespace Expt.Trials;

/// <summary>
/// The ordered trials of a study: for each point of the expanded space (in order), each replicate 0..N-1. Replicate r
/// of point p has sequence number <c>p × max + r</c>, where max is the most replicates a point can have: replicates an
/// adaptive study adds later fall in place.
/// </summary>
public static class TrialPlan
{
    /// <summary>Expands a spec into its trials.</summary>
    public static IReadOnlyList<PlannedTrial> Create(StudySpec spec) => Enumerate(spec).ToList();

    /// <summary>The trials one at a time, in plan order, without holding them all (for a dry run of a huge study).</summary>
    public static IEnumerable<PlannedTrial> Enumerate(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = 0;
        long stride = spec.MaxReplications;
        foreach (var (point, sample) in spec.Space.EnumerateDrawn(spec.Seed))
        {
            var canonical = point.ToCanonicalJson();
            for (var r = 0; r < spec.Replications; r++)
            {
                var key = TrialIdentity.Key(canonical, r);
                yield return new PlannedTrial((p * stride) + r, p, r, point, key, TrialIdentity.Seed(spec.Seed, key)) { Sample = sample };
            }
            p++;
        }
    }
}
