namespace Expt.Storage;

/// <summary>A trial to enqueue. Enqueueing is idempotent on (study, <paramref name="Key"/>).</summary>
/// <param name="Key">Stable key.</param>
/// <param name="Seq">Order within the study.</param>
/// <param name="Replicate">Replicate index.</param>
/// <param name="ParamsJson">Parameters as a flat JSON object in declaration order.</param>
/// <param name="Seed">Trial seed.</param>
/// <param name="MaxAttempts">Attempts allowed (1 + retries).</param>
/// <param name="Priority">Higher runs first.</param>
public sealed record NewTrial(string Key, long Seq, int Replicate, string ParamsJson, long Seed, int MaxAttempts, int Priority = 0)
{
    /// <summary>The trial's name from the study's <c>trial_name</c> template, or null.</summary>
    public string? Name { get; init; }

    /// <summary>What the trial needs of a machine; nothing for a study without <c>resources:</c>.</summary>
    public Resources.TrialNeeds Needs { get; init; } = Resources.TrialNeeds.None;
}
