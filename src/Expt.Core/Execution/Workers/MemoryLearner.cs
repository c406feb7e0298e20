using Expt.Resources;
using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>
/// <c>memory: auto</c>: when a trial of such a study ends, its measured peak (with a margin) becomes the memory need
/// of the study's pending trials, so the rest are packed by what the first ones really used. A trial without a
/// measurement (a C# trial in process) frees the others with no memory need.
/// </summary>
internal sealed class MemoryLearner(IExptStore store, WorkerOptions options, StoreHealth health)
{
    private readonly Dictionary<string, long> _learned = new(StringComparer.Ordinal);

    public async Task LearnAsync(IEnumerable<FinishedTrial> finished)
    {
        if (options.AutoMemoryStudies is not { Count: > 0 } studies)
        {
            return;
        }
        foreach (var (context, outcome) in finished.Select(f => (f.Context, f.Outcome)))
        {
            var study = context.Lease.StudyId;
            if (!studies.Contains(study) || outcome.Status == Trials.TrialStatus.Cancelled)
            {
                continue;
            }
            var need = outcome.Usage?.PeakMemoryBytes is { } peak ? (long)Math.Ceiling(peak * ResourcePlan.AutoMargin) : 0;
            if (_learned.TryGetValue(study, out var known) && known >= need)
            {
                continue;
            }
            _learned[study] = need;
            try
            {
                await store.LearnMemoryAsync(study, need, CancellationToken.None).ConfigureAwait(false);
                health.Contact();
            }
            catch (StoreUnavailableException)
            {
                _learned.Remove(study); // learned again from the next trial
            }
        }
    }
}
