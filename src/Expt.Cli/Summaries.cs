using Expt.Analysis;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// What every command that summarises (summary, export, report, plot, compare-groups) decides the same way: the
/// groups (<c>--by</c>), the metrics, and which way is better (the study's objectives, or <c>--minimize</c>/<c>--maximize</c>).
/// </summary>
internal static class Summaries
{
    /// <summary>The goal given on the command line, or null to use the study's objectives.</summary>
    public static Goal? Chosen(bool minimize, bool maximize) => (minimize, maximize) switch
    {
        (true, true) => throw new UserException("give --minimize or --maximize, not both"),
        (true, false) => Goal.Minimize,
        (false, true) => Goal.Maximize,
        _ => null,
    };

    /// <summary>How each metric was ranked and why: "lower loss (declared), higher accuracy (--maximize)".</summary>
    public static string RankingNote(IReadOnlyList<GroupSummary> groups, Objectives objectives, Goal? chosen) =>
        string.Join(", ", groups.Select(g => g.Metric).Distinct(StringComparer.Ordinal).Select(metric =>
        {
            var goal = objectives.Resolve(metric, chosen);
            var why = chosen is not null ? (goal == Goal.Maximize ? "--maximize" : "--minimize")
                : objectives.GoalOf(metric) is not null ? "the study's objectives"
                : "no objective declared for it";
            return $"{(goal == Goal.Minimize ? "lowest" : "highest")} {metric} ({why})";
        }));

    /// <summary>Summaries of the requested (or every numeric) metric, validated against what the trials have.</summary>
    public static List<string> Requested(string[]? metrics) =>
        metrics is { Length: > 0 } ? metrics.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : [];

    /// <summary>The <c>--by</c> keys, each checked to be a parameter; null without <c>--by</c>.</summary>
    public static IReadOnlyList<string>? Keys(IReadOnlyList<TrialRecord> trials, string? by)
    {
        if (by is null)
        {
            return null;
        }
        var keys = by.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var names = trials.SelectMany(t => Spec.ParamSet.FromJson(t.ParamsJson).Names).ToHashSet(StringComparer.Ordinal);
        foreach (var key in keys.Where(k => !names.Contains(k)))
        {
            throw new UserException($"--by: '{key}' is not a parameter; parameters: {string.Join(", ", names)}");
        }
        return keys;
    }

    public static IReadOnlyList<GroupSummary> SummarizeAll(IReadOnlyList<TrialRecord> trials, string[]? metrics, string? by, Objectives objectives, Goal? goal)
    {
        // Declared objectives first, then the other results in the order trials report them.
        var chosen = metrics is { Length: > 0 }
            ? Requested(metrics)
            : Summarizer.Metrics(trials).OrderBy(m => objectives.Items.ToList().FindIndex(o => o.Metric == m) is var i && i >= 0 ? i : int.MaxValue).ToList();
        // A metric some completed trial has is found at the first such trial; the full list is built only to explain a miss.
        foreach (var metric in chosen.Where(m => !trials.Any(t => t.Status == Trials.TrialStatus.Completed && ResultValues.Number(t, m) is not null)))
        {
            var available = Summarizer.Metrics(trials);
            var arrays = ArraySummarizer.ArrayMetrics(trials);
            var suggestion = Text.Suggestions.Closest(metric, available.Concat(arrays));
            throw new UserException($"--metric: no completed trial has a numeric result '{metric}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; " +
                $"results: {(available.Count == 0 ? "none" : string.Join(", ", available))}{(arrays.Count == 0 ? string.Empty : $"; array results: {string.Join(", ", arrays)}")}; " +
                $"what trials used: {string.Join(", ", Resources.TrialUsage.MetricNames)}");
        }
        var keys = Keys(trials, by);
        return chosen.SelectMany(metric => Summarizer.Summarize(trials, metric, keys, objectives.Resolve(metric, goal) == Goal.Minimize)).ToList();
    }
}
