using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// <c>memory: auto</c> on a resumed study: what its trials measured (the peak plus a quarter) becomes the memory need of
/// the pending ones, new points included; when nothing was measured and no probe trial waits any more, they run with
/// no memory need. Part of running a study, whoever runs it.
/// </summary>
public static class MemoryRelearning
{
    /// <summary>Relearns the memory need of a prepared study's pending trials (nothing for a study just created).</summary>
    public static async Task RelearnAsync(IExptStore store, PreparedStudy prepared, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared.Created)
        {
            return;
        }
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = prepared.Study.Id, PreviewChars = 0 }, cancellationToken).ConfigureAwait(false);
        var peak = trials.Select(t => Resources.TrialUsage.FromJson(t.UsageJson)?.PeakMemoryBytes).Max();
        if (peak is { } measured)
        {
            await store.LearnMemoryAsync(prepared.Study.Id, (long)Math.Ceiling(measured * Resources.ResourcePlan.AutoMargin), cancellationToken).ConfigureAwait(false);
        }
        else if (!trials.Any(t => t.Status is TrialStatus.Pending or TrialStatus.Running && t.Needs.MemoryBytes == 0))
        {
            await store.LearnMemoryAsync(prepared.Study.Id, 0, cancellationToken).ConfigureAwait(false);
        }
    }
}
