namespace Expt.Storage;

/// <summary>
/// A claimed trial. <see cref="Token"/> fences the lease: heartbeats and completions carrying an old token are refused,
/// so a worker that lost its lease can never complete a trial another worker has taken over.
/// </summary>
/// <param name="TrialId">Trial id.</param>
/// <param name="StudyId">Study id.</param>
/// <param name="StudyName">Study name.</param>
/// <param name="Key">Stable key.</param>
/// <param name="Replicate">Replicate index.</param>
/// <param name="ParamsJson">Parameters.</param>
/// <param name="Seed">Trial seed.</param>
/// <param name="Attempt">This attempt's number, from 1.</param>
/// <param name="MaxAttempts">Attempts allowed; a failed attempt below this is retried.</param>
/// <param name="Token">Fencing token.</param>
/// <param name="Until">When the lease runs out unless renewed.</param>
public sealed record TrialLease(string TrialId, string StudyId, string StudyName, string Key, int Replicate, string ParamsJson, long Seed, int Attempt, int MaxAttempts, long Token, DateTimeOffset Until)
{
    /// <summary>What the trial needs of the machine (nothing when its study declares no resources).</summary>
    public Resources.TrialNeeds Needs { get; init; } = Resources.TrialNeeds.None;
}
