using Expt.Analysis;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// Applies a <see cref="TrialQuery"/>'s where-expression and order to listed trials (the engine of the dashboard's
/// table), finding the listed studies' objective for <c>--sort best</c> and <c>--sort objective</c>.
/// </summary>
internal static class TrialOrder
{
    public static async Task<IReadOnlyList<TrialRecord>> ApplyAsync(IExptStore store, IReadOnlyList<TrialRecord> trials, TrialQuery query, CancellationToken cancellationToken)
    {
        if (trials.Count == 0 || (query.Where is null && query.Sort is null))
        {
            return trials;
        }
        var primary = query.Sort is { ByObjective: true } sort ? await PrimaryAsync(store, trials, sort.Key, cancellationToken).ConfigureAwait(false) : null;
        int[] order;
        try
        {
            order = query.Select([.. trials.Select(t => new TrialResult(t))], primary);
        }
        catch (FormatException ex)
        {
            throw new UserException("--" + ex.Message);
        }
        return [.. order.Select(i => trials[i])];
    }

    private static async Task<Objective?> PrimaryAsync(IExptStore store, IReadOnlyList<TrialRecord> trials, string name, CancellationToken cancellationToken)
    {
        Objective? primary = null;
        foreach (var studyName in trials.Select(t => t.StudyName).Distinct(StringComparer.Ordinal))
        {
            var study = await store.GetStudyAsync(studyName, cancellationToken).ConfigureAwait(false);
            var first = Objectives.FromSpecJson(study?.SpecJson).Primary
                ?? throw new UserException($"--sort {name}: study {studyName} declares no objective; add one to its file (objectives: {{loss: minimize}}) and run it again, or sort by a result: --sort loss, --sort -accuracy");
            if (primary is not null && primary.Metric != first.Metric)
            {
                throw new UserException($"--sort {name}: the listed studies have different objectives ({primary.Metric}, {first.Metric}); add --study, or sort by a result");
            }
            primary = first;
        }
        return primary;
    }
}
