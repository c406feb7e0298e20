using Expt.Spec;
using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Analysis;

/// <summary>
/// Aggregates a study's trials across replications: groups them by parameter point (or by chosen keys), and
/// describes a metric per group, ranking groups by mean.
/// </summary>
public static class Summarizer
{
    /// <summary>The numeric result names that occur in completed trials, in first-seen order.</summary>
    public static IReadOnlyList<string> Metrics(IEnumerable<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        return trials.Where(t => t.Status == TrialStatus.Completed)
            .SelectMany(t => t.ParsedResults.Where(r => ParamValues.IsNumber(r.Value)).Select(r => r.Key))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Summarises one metric.</summary>
    /// <param name="trials">The study's trials (any status).</param>
    /// <param name="metric">A result name.</param>
    /// <param name="by">Group by these parameters; null for the full parameter point.</param>
    /// <param name="minimize">Lower is better (rank 1 has the lowest mean); otherwise higher.</param>
    /// <param name="confidence">The confidence level of the intervals.</param>
    public static IReadOnlyList<GroupSummary> Summarize(IReadOnlyList<TrialRecord> trials, string metric, IReadOnlyList<string>? by = null, bool minimize = true, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(metric);
        var groups = Group(trials, by);
        var summaries = groups.Select(g =>
        {
            var values = new List<double>();
            int failed = 0, missing = 0;
            // In replicate order, so element-wise aggregates line up by replicate, never by completion order.
            foreach (var trial in g.Trials.OrderBy(t => t.Replicate).ThenBy(t => t.Seq))
            {
                if (trial.Status is TrialStatus.Failed or TrialStatus.Timeout)
                {
                    failed++;
                }
                else if (trial.Status == TrialStatus.Completed)
                {
                    if (ResultValues.Number(trial, metric) is { } value)
                    {
                        values.Add(value);
                    }
                    else
                    {
                        missing++;
                    }
                }
            }
            return (g.Key, Stats: Descriptive.Of(values, confidence), failed, missing);
        }).ToList();
        var ranked = summaries.Where(s => s.Stats.N > 0)
            .OrderBy(s => minimize ? s.Stats.Mean : -s.Stats.Mean)
            .Select((s, i) => (s.Key, Rank: i + 1))
            .ToDictionary(x => x.Key, x => x.Rank);
        return summaries.Select(s => new GroupSummary(s.Key, metric, s.Stats, s.failed, s.missing, ranked.TryGetValue(s.Key, out var r) ? r : null)
        {
            Goal = minimize ? Goal.Minimize : Goal.Maximize,
        }).ToList();
    }

    /// <summary>Trials grouped by parameter point or by the given keys, groups in order of first appearance.</summary>
    public static IReadOnlyList<(ParamSet Key, IReadOnlyList<TrialRecord> Trials)> Group(IReadOnlyList<TrialRecord> trials, IReadOnlyList<string>? by)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var groups = new List<(ParamSet Key, List<TrialRecord> Trials)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        // Trials of one point share their stored params text, so that text is the group key and each point is parsed
        // once; with --by, the chosen values are extracted once per distinct point.
        var keyOfPoint = new Dictionary<string, (ParamSet Key, string Text)>(StringComparer.Ordinal);
        foreach (var trial in trials.OrderBy(t => t.Seq))
        {
            if (!keyOfPoint.TryGetValue(trial.ParamsJson, out var key))
            {
                var parameters = ParamSet.FromJson(trial.ParamsJson);
                var set = by is null ? parameters : new ParamSet(by.Select(name => KeyValuePair.Create(name, parameters.TryGetValue(name, out var v) ? v : null)));
                keyOfPoint[trial.ParamsJson] = key = (set, set.ToCanonicalJson());
            }
            if (!index.TryGetValue(key.Text, out var i))
            {
                index[key.Text] = i = groups.Count;
                groups.Add((key.Key, []));
            }
            groups[i].Trials.Add(trial);
        }
        return groups.Select(g => (g.Key, (IReadOnlyList<TrialRecord>)g.Trials)).ToList();
    }
}
