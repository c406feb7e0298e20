using Expt.Spec;

namespace Expt.Trials;

/// <summary>
/// The ordered trials of a study: for each point of the expanded space (in order), each replicate 0..N-1.
/// </summary>
public static class TrialPlan
{
    /// <summary>Expands a spec into its trials.</summary>
    public static IReadOnlyList<PlannedTrial> Create(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var points = spec.Space.Expand(spec.Seed);
        var trials = new List<PlannedTrial>(points.Count * spec.Replications);
        for (var p = 0; p < points.Count; p++)
        {
            var canonical = points[p].ToCanonicalJson();
            for (var r = 0; r < spec.Replications; r++)
            {
                var key = TrialIdentity.Key(canonical, r);
                trials.Add(new PlannedTrial(trials.Count, p, r, points[p], key, TrialIdentity.Seed(spec.Seed, key)));
            }
        }
        return trials;
    }
}
