using System.Globalization;
using Expt.Adaptive;
using Expt.Analysis;

namespace Expt.Spec;

// replications: (a number, or {min, max, until}) and race:.
public sealed partial class StudySpecBinder
{
    private static readonly IReadOnlyList<string> ReplicationKeys = ["min", "max", "until"];

    private static readonly IReadOnlyList<string> RaceKeys = ["metric", "test", "alpha", "min_replications", "max_replications"];

    private const string UntilExample = "such as until: ci95_halfwidth(loss) < 0.02 * abs(mean(loss))";

    /// <summary>The replicates up front, and the adaptive plan when replicates are decided as results come in.</summary>
    private (int Replications, AdaptivePlan? Plan) BindReplications(ConfigMapping root, Objectives objectives)
    {
        var race = root.Find("race");
        var entry = root.Find("replications");
        if (race is not null)
        {
            if (entry is not null)
            {
                Error(entry.KeyLocation, "replications", "a race sets its own replicates (race.min_replications, race.max_replications); remove replications");
            }
            return BindRace(race, objectives);
        }
        if (entry?.Value is not ConfigMapping map)
        {
            return (Int(root, "replications", 1, min: 1), null);
        }
        UnknownKeys(map, "replications", ReplicationKeys);
        var min = SubInt(map, "replications", "min", 1, 1) ?? 1;
        var max = SubInt(map, "replications", "max", null, 1);
        if (max is null && map.Find("max") is null)
        {
            Error(map.Location, "replications.max", "missing; expected the most replicates a point may run, such as max: 50");
        }
        if (max is { } m && m < min)
        {
            Error(map.Find("max")!.Value.Location, "replications.max", $"{m} is less than min ({min}); expected at least {min}");
        }
        if (map.Find("until") is not { } until)
        {
            Error(map.Location, "replications.until", $"missing; expected when a point has enough replicates, {UntilExample}");
            return (min, null);
        }
        if (until.Value is not ConfigScalar { Value: not null } text || !CheckText(text.Text, text.Location, "replications.until"))
        {
            Error(until.Value.Location, "replications.until", $"expected a condition, {UntilExample}");
            return (min, null);
        }
        try
        {
            var rule = StoppingRule.Parse(text.Text, objectives.Primary?.Metric);
            // A result one letter off a declared objective is a typo, found before anything runs (a result no trial
            // reports is found once the first trials complete, and stops the study then).
            var declared = objectives.Items.Select(o => o.Metric).ToList();
            foreach (var metric in rule.Metrics.Where(m => !declared.Contains(m) && !Resources.TrialUsage.MetricNames.Contains(m)))
            {
                if (Text.Suggestions.Closest(metric, declared) is { } suggestion)
                {
                    Error(text.Location, "replications.until", $"reads '{InputLimits.Quote(metric)}', which is not a declared objective (did you mean '{suggestion}'?); objectives: {string.Join(", ", declared)}");
                    return (min, null);
                }
            }
            return max is { } top && top >= min ? (min, new AdaptivePlan { Sequential = new SequentialStopping(min, top, rule) }) : (min, null);
        }
        catch (FormatException ex)
        {
            Error(text.Location, "replications.until", $"{ex.Message} (in '{InputLimits.Quote(text.Text)}')");
            return (min, null);
        }
    }

    private (int Replications, AdaptivePlan? Plan) BindRace(ConfigEntry entry, Objectives objectives)
    {
        if (entry.Value is not ConfigMapping map)
        {
            Error(entry.Value.Location, "race", "expected a mapping such as {metric: loss, test: t, alpha: 0.05, min_replications: 5, max_replications: 30}");
            return (1, null);
        }
        UnknownKeys(map, "race", RaceKeys);
        var minReps = SubInt(map, "race", "min_replications", 5, 2) ?? 5;
        var maxReps = SubInt(map, "race", "max_replications", Math.Max(30, minReps), 2) ?? Math.Max(30, minReps);
        if (maxReps < minReps)
        {
            Error(map.Find("max_replications")!.Value.Location, "race.max_replications", $"{maxReps} is less than min_replications ({minReps}); expected at least {minReps}");
        }
        var test = RaceTest.T;
        if (map.Find("test")?.Value is { } testNode)
        {
            if (testNode is ConfigScalar s && RaceSettings.ParseTest(s.Text) is { } parsed)
            {
                test = parsed;
            }
            else
            {
                Error(testNode.Location, "race.test", $"expected t (paired t-tests against the best, Holm-corrected) or friedman (F-Race), got {Got(testNode)}");
            }
        }
        var alpha = 0.05;
        if (map.Find("alpha")?.Value is { } alphaNode)
        {
            if (alphaNode is ConfigScalar s && double.TryParse(s.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && a is > 0 and < 0.5)
            {
                alpha = a;
            }
            else
            {
                Error(alphaNode.Location, "race.alpha", $"expected a significance level above 0 and below 0.5, such as 0.05; got {Got(alphaNode)}");
            }
        }
        string? metric = null;
        if (map.Find("metric")?.Value is { } metricNode)
        {
            if (metricNode is ConfigScalar { Text.Length: > 0 } s && ParamNamePattern().IsMatch(s.Text) && s.Text.Length <= InputLimits.MaxNameLength)
            {
                metric = s.Text == "objective" && objectives.Primary is { } primary ? primary.Metric : s.Text;
            }
            else
            {
                Error(metricNode.Location, "race.metric", $"expected the name of a result, such as loss; got {Got(metricNode)}");
                return (minReps, null);
            }
        }
        metric ??= objectives.Primary?.Metric;
        if (metric is null)
        {
            Error(map.Location, "race.metric", "missing, and the study declares no objective to race on; expected race.metric: loss with objectives: {loss: minimize}");
            return (minReps, null);
        }
        if (objectives.GoalOf(metric) is not { } goal)
        {
            Error(map.Find("metric")?.Value.Location ?? map.Location, "race.metric",
                $"'{InputLimits.Quote(metric)}' has no declared goal, so the race cannot tell better from worse; expected objectives: {{{metric}: minimize}} (or maximize)");
            return (minReps, null);
        }
        return _errors.Count > 0 ? (minReps, null) : (minReps, new AdaptivePlan { Race = new RaceSettings(metric, goal, test, alpha, minReps, maxReps) });
    }

    private void UnknownKeys(ConfigMapping map, string prefix, IReadOnlyList<string> known)
    {
        foreach (var e in map.Entries.Where(e => !known.Contains(e.Key)))
        {
            var suggestion = Text.Suggestions.Closest(e.Key, known);
            Error(e.KeyLocation, prefix + "." + InputLimits.Quote(e.Key), $"unknown key{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", known)}");
        }
    }

    private int? SubInt(ConfigMapping map, string prefix, string key, int? fallback, int min)
    {
        if (map.Find(key)?.Value is not { } node)
        {
            return fallback;
        }
        if (node is ConfigScalar { Value: long l } && l >= min && l <= InputLimits.MaxReplicates)
        {
            return (int)l;
        }
        Error(node.Location, prefix + "." + key, $"expected an integer from {min} to {InputLimits.MaxReplicates:N0}, got {Got(node)}");
        return fallback;
    }

    private static string Got(ConfigNode node) => node is ConfigScalar s ? $"'{InputLimits.Quote(s.Text)}'" : "a list or mapping";
}
