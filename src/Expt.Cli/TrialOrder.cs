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
    private static readonly string[] Fields = ["duration", "created", "started", "finished", "name", "attempts"];

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
            return By(trials, t => ResultValues.Number(t, primary.Metric), descending);
        }
        if (Fields.Contains(name))
        {
            return name switch
            {
                "name" => Order(trials, t => t.Name, descending),
                "duration" => By(trials, t => t.Duration?.TotalSeconds, descending),
                "created" => By(trials, t => t.Created.ToUnixTimeMilliseconds(), descending),
                "started" => By(trials, t => t.Started?.ToUnixTimeMilliseconds(), descending),
                "finished" => By(trials, t => t.Finished?.ToUnixTimeMilliseconds(), descending),
                _ => By(trials, t => t.Attempts, descending),
            };
        }
        var metrics = Summarizer.Metrics(trials);
        if (trials.Count > 0 && !metrics.Contains(name))
        {
            var suggestion = Text.Suggestions.Closest(name, metrics.Concat(["best", "objective"]).Concat(Fields));
            throw new UserException($"--sort: no listed trial has a numeric result '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; " +
                $"expected a result ({(metrics.Count == 0 ? "none" : string.Join(", ", metrics))}), objective, best, or one of {string.Join(", ", Fields)}");
        }
        return By(trials, t => ResultValues.Number(t, name), descending);
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

    private static List<TrialRecord> By(IReadOnlyList<TrialRecord> trials, Func<TrialRecord, double?> key, bool descending)
    {
        var keyed = trials.Select(t => (Trial: t, Key: key(t))).ToList();
        var present = keyed.Where(k => k.Key is { } v && double.IsFinite(v));
        var ordered = descending ? present.OrderByDescending(k => k.Key) : present.OrderBy(k => k.Key);
        return ordered.Select(k => k.Trial).Concat(keyed.Where(k => k.Key is not { } v || !double.IsFinite(v)).Select(k => k.Trial)).ToList();
    }

    private static List<TrialRecord> Order(IReadOnlyList<TrialRecord> trials, Func<TrialRecord, string?> key, bool descending)
    {
        var present = trials.Where(t => key(t) is not null);
        var ordered = descending ? present.OrderByDescending(key, StringComparer.Ordinal) : present.OrderBy(key, StringComparer.Ordinal);
        return ordered.Concat(trials.Where(t => key(t) is null)).ToList();
    }
}
