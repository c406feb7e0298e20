using Expt.Adaptive;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution.Workers;

/// <summary>
/// Adaptive replications on the worker's side: when a trial of an adaptive study is recorded, the store is asked to
/// take the decisions it makes possible (before the trial is released, so the claim loop sees the replicates added).
/// A decision missed (the store out of reach, a worker killed between the two writes) is taken by the next caller:
/// the claim loop asks once more before it concludes there is nothing left.
/// </summary>
internal sealed class ReplicationAdvancer(IExptStore store, WorkerOptions options, StoreHealth health) : IDisposable
{
    private readonly CancellationTokenSource _halt = new();

    /// <summary>Cancelled when a study's rules cannot decide anything (a typo in a rule): the worker stops claiming.</summary>
    public CancellationToken Halted => _halt.Token;

    /// <summary>Why the worker was halted, or null.</summary>
    public string? Problem { get; private set; }

    public void Dispose() => _halt.Dispose();

    /// <summary>After recorded outcomes: advances the adaptive studies they belong to.</summary>
    public async Task AdvanceAsync(IEnumerable<FinishedTrial> recorded)
    {
        if (options.AdaptiveStudies is not { Count: > 0 } studies)
        {
            return;
        }
        // A cancelled trial is not a replicate's answer (it runs again on resume): it decides nothing.
        var touched = recorded.Where(f => f.Outcome.Status != TrialStatus.Cancelled).Select(f => f.Context.Lease.StudyId).Distinct(StringComparer.Ordinal);
        foreach (var studyId in touched)
        {
            if (studies.TryGetValue(studyId, out var rules))
            {
                await TryAdvanceAsync(studyId, rules).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Advances every adaptive study this worker serves; true when replicates were added.</summary>
    public async Task<bool> CatchUpAsync()
    {
        if (options.AdaptiveStudies is not { Count: > 0 } studies)
        {
            return false;
        }
        var added = false;
        foreach (var (studyId, rules) in studies)
        {
            if (options.StudyId is null || options.StudyId == studyId)
            {
                added |= (await TryAdvanceAsync(studyId, rules).ConfigureAwait(false))?.NewTrials.Count > 0;
            }
        }
        return added;
    }

    private async Task<AdaptiveStep?> TryAdvanceAsync(string studyId, AdaptiveRules rules)
    {
        try
        {
            var step = await store.AdvanceAsync(studyId, rules, CancellationToken.None).ConfigureAwait(false);
            health.Contact();
            if (step.Problem is { } problem && Problem is null)
            {
                Problem = problem;
                await _halt.CancelAsync().ConfigureAwait(false);
            }
            return step;
        }
        catch (StoreUnavailableException)
        {
            return null; // taken by whoever asks next (this worker's claim loop before it stops)
        }
    }
}
