using System.Globalization;
using System.Text.Json;
using Expt.Analysis;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Adaptive;

/// <summary>
/// Where an adaptive study stands, for people: one headline (survivors, eliminated, cost against running every point to
/// its maximum) and each point's state. What <c>expt run</c>, <c>summary</c>, <c>report</c> and the dashboard show.
/// </summary>
public sealed class AdaptiveReport
{
    private readonly Dictionary<string, AdaptivePointRow> _byKey;

    private AdaptiveReport(AdaptivePlan plan, List<AdaptivePointRow> points, int trials)
    {
        Plan = plan;
        Points = points;
        Trials = trials;
        _byKey = points.ToDictionary(p => p.Key, StringComparer.Ordinal);
        // The best as the race weighs it: a point that diverged on 3 of 4 seeds is not the best "over 1".
        Best = Plan.Race is { } race
            ? points.Where(p => p.Decision is null or { State: PointState.Survivor }).Where(p => p.Completed > 0 && !double.IsNaN(p.RaceMean))
                .OrderBy(p => race.Goal == Goal.Minimize ? p.RaceMean : -p.RaceMean).FirstOrDefault()
            : null;
    }

    /// <summary>The study's plan.</summary>
    public AdaptivePlan Plan { get; }

    /// <summary>Every point, in plan order.</summary>
    public IReadOnlyList<AdaptivePointRow> Points { get; }

    /// <summary>Trials the study has (all replicates created so far).</summary>
    public int Trials { get; }

    /// <summary>What running every point to its maximum would have cost.</summary>
    public int FullCost => Points.Count * Plan.MaxReplicates;

    /// <summary>For a race: the survivor (or contender) with the best mean; null otherwise.</summary>
    public AdaptivePointRow? Best { get; }

    /// <summary>True when every point is decided.</summary>
    public bool Finished => Points.All(p => p.Decision is not null);

    /// <summary>The report of a stored study, or null when it is not adaptive.</summary>
    public static AdaptiveReport? For(StudyRecord study, IReadOnlyList<TrialRecord> trials, IReadOnlyList<PointDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(decisions);
        if (AdaptiveRules.For(study) is not { } rules)
        {
            return null;
        }
        var plan = rules.Plan;
        var byPoint = decisions.GroupBy(d => d.Point, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var metric = plan.Race?.Metric ?? plan.Metrics.FirstOrDefault();
        var points = PointTrials.Group(trials).ToList();
        var answers = points.Select(p => metric is null ? [] : Enumerable.Range(0, p.Created).Select(r => p.Answer(r, metric)).Where(a => a is not null).Select(a => a!.Value).ToArray()).ToList();
        var weighed = plan.Race is { } race ? RaceStatistics.FillBad(answers, race.Goal, race.Test) : null;
        var rows = points.Select((p, i) =>
            new AdaptivePointRow(p.Key, p.Params, byPoint.GetValueOrDefault(p.Key), p.Rows.Count, p.Completed, metric, Statistics.Descriptive.Of(metric is null ? [] : p.FiniteValues(metric)))
            {
                // In a race a failed replicate is a bad answer too; a stopping rule runs another replicate in its place.
                Bad = plan.Race is null ? (metric is null ? 0 : p.Completed - p.FiniteValues(metric).Count) : answers[i].Count(double.IsNaN),
                RaceMean = weighed is null || weighed[i].Length == 0 ? double.NaN : weighed[i].Average(),
            }).ToList();
        return new AdaptiveReport(plan, rows, trials.Count);
    }

    /// <summary>The row of a point (by its parameters), or null.</summary>
    public AdaptivePointRow? RowFor(ParamSet point)
    {
        ArgumentNullException.ThrowIfNull(point);
        return _byKey.GetValueOrDefault(PointKey(point));
    }

    /// <summary>A point's state in a few words: "eliminated in round 7 (p = 0.003)", "survivor (best)", "running".</summary>
    public string StatusOf(AdaptivePointRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Decision switch
        {
            null => Plan.Race is null ? "running" : "in the race",
            { State: PointState.Eliminated } d => $"eliminated in round {d.Round}" + (d.PValue is { } p ? $" (p = {RaceStatistics.FormatP(p)})" : string.Empty),
            { State: PointState.Survivor } => ReferenceEquals(row, Best) ? "survivor (best)" : "survivor",
            { State: PointState.MaxReached } => "max reached",
            { State: PointState.Failed } => "failed",
            _ => "precise",
        };
    }

    /// <summary>One line: what the study decided so far and what it cost.</summary>
    public string Headline
    {
        get
        {
            int Count(PointState? state) => Points.Count(p => p.Decision?.State == state);
            var cost = $"{Trials:N0} trials, {Percent(Trials, FullCost)} of running every point to {Plan.MaxReplicates} ({FullCost:N0})";
            if (Plan.Race is { } race)
            {
                var test = race.Test == RaceTest.T ? "paired t-tests, Holm" : "Friedman, Conover";
                var round = Points.Count == 0 ? 0 : Points.Max(p => p.Decision?.Round ?? p.Trials);
                var state = Finished ? $"finished after round {round}" : $"round {round} running";
                var best = Best is { } b ? $"; best: {b.Params} (mean {race.Metric} {b.Stats.Mean.ToString("G6", CultureInfo.InvariantCulture)} over {b.Stats.N}{(b.Bad > 0 ? $", {b.Bad} bad" : string.Empty)})" : string.Empty;
                var bad = Points.Sum(p => p.Bad);
                var worst = bad == 0 ? string.Empty : $"; {Text.Counted.Of(bad, "bad replicate")} (no finite {race.Metric}, or failed) counted as the worst";
                return $"race on {race.Metric} ({test}, alpha {race.Alpha.ToString(CultureInfo.InvariantCulture)}): {Count(PointState.Survivor) + Count(null)} " +
                    $"{(Finished ? "survivors" : "in the race")}, {Count(PointState.Eliminated)} eliminated, {Count(PointState.Failed)} failed of {Points.Count} points; {state}; {cost}{best}{worst}";
            }
            var s = Plan.Sequential!;
            var diverged = Points.Sum(p => p.Bad);
            return $"sequential stopping (until {s.Until.Text}; {s.Min}–{s.Max} replicates): {Count(PointState.Precise)} precise, {Count(PointState.MaxReached)} max reached, " +
                $"{Count(PointState.Failed)} failed, {Count(null)} running of {Points.Count} points; {cost}" +
                (diverged == 0 ? string.Empty : $"; {Text.Counted.Of(diverged, "bad replicate")} (completed with no finite value) counted as the worst, so their points are not precise");
        }
    }

    /// <summary>Writes the member <c>adaptive</c>: mode, settings, headline, and each point's state.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("adaptive");
        w.WriteString("mode", Plan.Race is null ? "sequential" : "race");
        w.WriteString("headline", Headline);
        w.WriteBoolean("finished", Finished);
        w.WriteNumber("trials", Trials);
        w.WriteNumber("full_cost", FullCost);
        w.WriteStartArray("points");
        foreach (var row in Points)
        {
            w.WriteStartObject();
            w.WritePropertyName("params");
            w.WriteRawValue(row.Params.ToFlatJson());
            w.WriteString("state", row.Decision?.StateName ?? "open");
            w.WriteString("status", StatusOf(row));
            w.WriteNumber("trials", row.Trials);
            w.WriteNumber("completed", row.Completed);
            if (row.Decision is { } d)
            {
                w.WriteNumber("round", d.Round);
                if (d.PValue is { } p && double.IsFinite(p))
                {
                    w.WriteNumber("p_value", p);
                }
                w.WriteString("reason", d.Reason);
                w.WriteString("decided", d.Decided.ToString("O", CultureInfo.InvariantCulture));
            }
            if (ReferenceEquals(row, Best))
            {
                w.WriteBoolean("best", true);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string PointKey(ParamSet point) => Expt.Trials.TrialIdentity.Key(point.ToCanonicalJson(), 0);

    private static string Percent(int part, int whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("0", CultureInfo.InvariantCulture) + "%";

}
