using Expt.Spec;
using Expt.Storage;

namespace Expt.Trials;

/// <summary>
/// Where a trial to store is made, for every way a study gains trials: its plan (<c>expt run</c>), points added by
/// hand (<c>expt add</c>) and the replicates an adaptive study adds. One rule for each of its parts: the key from the
/// point's canonical JSON and replicate, the seed from the study seed and key, the resources and priority from the
/// study's rules, the name from its template, the attempts from its retries.
/// </summary>
/// <param name="studySeed">The study seed.</param>
/// <param name="studyName">The study's name (for trial names).</param>
/// <param name="trialName">The <c>trial_name</c> template, or null.</param>
/// <param name="resources">The study's resource rules.</param>
/// <param name="maxAttempts">Attempts each trial gets (retries + 1).</param>
/// <param name="stride">The sequence numbers a point spans (its most replicates): point p's replicate r is <c>p × stride + r</c>.</param>
public sealed class TrialFactory(long studySeed, string studyName, string? trialName, Resources.ResourcePlan resources, int maxAttempts, long stride)
{
    /// <summary>The factory of a study as its spec defines it.</summary>
    public static TrialFactory For(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new TrialFactory(spec.Seed, spec.Name, spec.TrialName, spec.Resources, spec.Retries + 1, spec.MaxReplications);
    }

    /// <summary>The trial of a plan (its key and seed already computed by <see cref="TrialPlan"/>).</summary>
    public NewTrial Create(PlannedTrial planned)
    {
        ArgumentNullException.ThrowIfNull(planned);
        return Make(planned.Params, planned.Key, planned.Seed, planned.Replicate, planned.Seq, planned.Sample);
    }

    /// <summary>Replicate <paramref name="replicate"/> of a point whose replicate 0 has sequence number <paramref name="seq0"/>.</summary>
    public NewTrial Create(ParamSet point, int replicate, long seq0, string? canonical = null)
    {
        ArgumentNullException.ThrowIfNull(point);
        var key = TrialIdentity.Key(canonical ?? point.ToCanonicalJson(), replicate);
        return Make(point, key, TrialIdentity.Seed(studySeed, key), replicate, seq0 + replicate, sample: 0);
    }

    private NewTrial Make(ParamSet point, string key, long seed, int replicate, long seq, int sample)
    {
        var (needs, priority) = resources.For(point, seq);
        return new NewTrial(key, seq, replicate, point.ToFlatJson(), seed, maxAttempts, priority)
        {
            Name = trialName is null ? null : TrialNames.Render(trialName, point, replicate, seed, studyName, seq / Math.Max(1, stride), sample),
            Needs = needs,
        };
    }
}
