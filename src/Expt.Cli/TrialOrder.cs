using Expt.Analysis;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// <c>--sort</c> for trial listings: a result (<c>loss</c>, <c>-accuracy</c> for descending), the study's first
/// objective (<c>objective</c>, <c>-objective</c>), <c>best</c> (best first by the declared goal), or a field.
/// Trials without the value come last, in plan order.
/// </summary>
internal static class TrialOrder
{
    private static IReadOnlyList<string> Fields => ValueOrder.Fields;

    public static async Task<IReadOnlyList<TrialRecord>> SortAsync(IExptStore store, IReadOnlyList<TrialRecord> trials, string sort, CancellationToken cancellationToken)
    {
        var text = sort.Trim();
        var descending = text.StartsWith('-');
        var name = text.TrimStart('-', '+');
        if (name.Length == 0)
        {
            throw new UserException("--sort: expected a result name, objective, best or a field, e.g. --sort -accuracy");
        }
        if (name is "best" or "objective")
        {
            var primary = await PrimaryAsync(store, trials, name, cancellationToken).ConfigureAwait(false);
            if (primary is null)
            {
                return trials; // nothing listed
            }
            if (name == "best")
            {
                // Best first; "-best" puts the worst first.
                descending = (primary.Goal == Goal.Maximize) != descending;
            }
            return Sorted(trials, t => ResultValues.Number(t, primary.Metric), descending);
        }
        if (ValueOrder.Field(name) is { } field)
        {
            return Sorted(trials, field, descending);
        }
        var metrics = Summarizer.Metrics(trials);
        if (trials.Count > 0 && !metrics.Contains(name))
        {
            var suggestion = Text.Suggestions.Closest(name, metrics.Concat(["best", "objective"]).Concat(Fields));
            throw new UserException($"--sort: no listed trial has a numeric result '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; " +
                $"expected a result ({(metrics.Count == 0 ? "none" : string.Join(", ", metrics))}), objective, best, or one of {string.Join(", ", Fields)}");
        }
        return Sorted(trials, t => ResultValues.Number(t, name), descending);
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

    // The order of the dashboard's table too: numbers, then text; missing and non-finite values last; ties in plan order.
    private static List<TrialRecord> Sorted(IReadOnlyList<TrialRecord> trials, Func<TrialRecord, object?> key, bool descending) =>
        [.. ValueOrder.Sort([.. trials.Select(key)], descending).Select(i => trials[i])];
}
