using Expt.Spec;

namespace Expt.Trials;

/// <summary>
/// The ordered trials of a study: for each point of the expanded space (in order), each replicate 0..N-1.
/// </summary>
public static class TrialPlan
{
    /// <summary>Expands a spec into its trials.</summary>
    public static IReadOnlyList<PlannedTrial> Create(StudySpec spec) => Enumerate(spec).ToList();

    /// <summary>The trials one at a time, in plan order, without holding them all (for a dry run of a huge study).</summary>
    public static IEnumerable<PlannedTrial> Enumerate(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var seq = 0;
        var p = 0;
        foreach (var point in spec.Space.Enumerate(spec.Seed))
        {
            var canonical = point.ToCanonicalJson();
            for (var r = 0; r < spec.Replications; r++)
            {
                var key = TrialIdentity.Key(canonical, r);
                yield return new PlannedTrial(seq++, p, r, point, key, TrialIdentity.Seed(spec.Seed, key));
            }
            p++;
        }
    }
}
