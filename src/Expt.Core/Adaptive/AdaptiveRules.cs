using System.Globalization;
using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Adaptive;

/// <summary>
/// Decides, from a study's trials as the store has them, which replicates to add and which points are done. A pure
/// function of the completed replicates 0..k−1 of the points concerned: it never looks at which trial finished first,
/// so the same study decides the same way with one worker or a hundred, on any backend. Whoever completes the trial
/// that makes a decision possible asks the store to take it (<see cref="ITrialQueue.AdvanceAsync"/>), which runs this
/// under the study's lock; asking again changes nothing.
/// </summary>
public sealed class AdaptiveRules
{
    private readonly long _studySeed;
    private readonly string _studyName;
    private readonly string? _trialName;
    private readonly Resources.ResourcePlan _resources;
    private readonly Analysis.Objectives _objectives;

    /// <summary>Creates the rules of one study.</summary>
    /// <param name="plan">How replicates are decided.</param>
    /// <param name="studySeed">The study seed (new replicates' seeds derive from it as every trial's do).</param>
    /// <param name="studyName">The study name (for trial names).</param>
    /// <param name="trialName">The <c>trial_name</c> template, or null.</param>
    /// <param name="resources">The study's resources (a new replicate's priority); null for none.</param>
    /// <param name="objectives">The study's objectives: which way a stopping rule's bad value is worst.</param>
    public AdaptiveRules(AdaptivePlan plan, long studySeed, string studyName, string? trialName, Resources.ResourcePlan? resources = null, Analysis.Objectives? objectives = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(studyName);
        Plan = plan;
        _studySeed = studySeed;
        _studyName = studyName;
        _trialName = trialName;
        _resources = resources ?? Resources.ResourcePlan.None;
        _objectives = objectives ?? Analysis.Objectives.None;
    }

    /// <summary>How replicates are decided.</summary>
    public AdaptivePlan Plan { get; }

    /// <summary>The rules of a stored study, or null when it is not adaptive.</summary>
    public static AdaptiveRules? For(StudyRecord study)
    {
        ArgumentNullException.ThrowIfNull(study);
        try
        {
            using var doc = JsonDocument.Parse(study.SpecJson);
            if (AdaptivePlan.FromStored(doc.RootElement) is not { } plan)
            {
                return null;
            }
            var stored = StoredSpec.Read(study.SpecJson);
            return new AdaptiveRules(plan, study.Seed, study.Name, stored.TrialName, stored.Resources, Analysis.Objectives.FromSpecJson(study.SpecJson));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The value a bad replicate (a completed run whose result is missing, NaN or infinite) takes in a stopping rule: the
    /// worst of the result's declared goal (+∞ when minimized, −∞ when maximized), else NaN. Either way the point's mean
    /// is not finite and its spreads are undefined, so a precision rule is not met by a point that diverged.
    /// </summary>
    public double BadValue(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return (Plan.Race is { } race && race.Metric == metric ? race.Goal : _objectives.GoalOf(metric)) switch
        {
            Analysis.Goal.Minimize => double.PositiveInfinity,
            Analysis.Goal.Maximize => double.NegativeInfinity,
            _ => double.NaN,
        };
    }

    /// <summary>
    /// A result the rules read that no completed trial reports, once some have completed: a typo in the rule
    /// (<c>sd(vv)</c> when trials report <c>v</c>), said with what they do report; null when every result is there or
    /// nothing completed yet.
    /// </summary>
    public string? MissingMetric(IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var completed = trials.Where(t => t.Status == TrialStatus.Completed).Select(t => new Analysis.TrialResult(t)).ToList();
        // A few completed trials first (a diverged run may leave its result out), or all there are.
        if (completed.Count == 0 || (completed.Count < 3 && trials.Any(t => t.Status is TrialStatus.Pending or TrialStatus.Running)))
        {
            return null;
        }
        var reported = completed.SelectMany(t => t.Results.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var metric in Plan.Metrics)
        {
            if (!reported.Contains(metric) && !Resources.TrialUsage.MetricNames.Contains(metric))
            {
                var key = Plan.Race is null ? "replications.until" : "race.metric";
                var suggestion = Text.Suggestions.Closest(metric, reported);
                return $"{key} reads '{metric}', which none of the {completed.Count} completed trials reports{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; " +
                    $"they report: {(reported.Count == 0 ? "no results" : string.Join(", ", reported.Take(20)))}. Nothing was decided: fix the study file and run it again";
            }
        }
        return null;
    }

    /// <summary>The decisions the trials make possible now (nothing when a round or a point is still running).</summary>
    /// <param name="trials">Every trial of the study.</param>
    /// <param name="decided">The decisions already recorded (final: a decided point is never looked at again).</param>
    /// <param name="now">When, for the record.</param>
    public AdaptiveStep Decide(IReadOnlyList<TrialRecord> trials, IReadOnlyList<PointDecision> decided, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(decided);
        if (MissingMetric(trials) is { } problem)
        {
            return AdaptiveStep.None with { Problem = problem };
        }
        var done = decided.Select(d => d.Point).ToHashSet(StringComparer.Ordinal);
        var alive = PointTrials.Group(trials).Where(p => !done.Contains(p.Key)).ToList();
        var step = new Builder(now);
        if (Plan.Sequential is { } sequential)
        {
            foreach (var point in alive.Where(p => p.Settled))
            {
                DecidePoint(sequential, point, step);
            }
        }
        else if (alive.Count > 0 && alive.All(p => p.Settled))
        {
            DecideRound(Plan.Race!, alive, step);
        }
        return step.Build();
    }

    private void DecidePoint(SequentialStopping rule, PointTrials point, Builder step)
    {
        var created = point.Created;
        var n = point.Completed;
        IReadOnlyList<double> Values(string metric) => point.Values(metric, BadValue(metric));
        if (n >= rule.Min && rule.Until.IsMet(Values, n))
        {
            step.Decide(point, PointState.Precise, created, n, null, $"until met: {rule.Until.Explain(Values, n)}");
        }
        else if (n == 0 && created >= rule.Min)
        {
            step.Decide(point, PointState.Failed, created, 0, null, $"none of its {Counted(created, "replicate")} completed");
        }
        else if (created >= rule.Max)
        {
            step.Decide(point, PointState.MaxReached, created, n, null, $"max {rule.Max} replicates ran before the rule was met ({rule.Until.Explain(Values, n)})");
        }
        else
        {
            // Below min (failed replicates do not count), as many as are missing at once; then one at a time.
            var add = Math.Min(n < rule.Min ? rule.Min - n : 1, rule.Max - created);
            AddReplicates(point, created, created + add, step);
        }
    }

    private void DecideRound(RaceSettings race, List<PointTrials> alive, Builder step)
    {
        var k = Math.Max(race.MinReplications, alive.Max(p => p.Created));
        if (alive.Any(p => p.Created < k))
        {
            // Points behind the round (added to the study later, or not yet at min): catch them up first.
            foreach (var point in alive.Where(p => p.Created < k))
            {
                AddReplicates(point, point.Created, k, step);
            }
            return;
        }
        var contenders = new List<PointTrials>();
        foreach (var point in alive)
        {
            if (point.Completed == 0)
            {
                step.Decide(point, PointState.Failed, k, 0, null, $"none of its {Counted(k, "replicate")} completed");
            }
            else
            {
                contenders.Add(point);
            }
        }
        // Paired comparisons need the same replicates of every contender; every settled replicate has an answer (a bad
        // one counts as the worst value: see RaceStatistics.FillBad), so the blocks are all of the round's.
        var blocks = Enumerable.Range(0, k).Where(r => contenders.All(p => p.Answer(r, race.Metric) is not null)).ToList();
        var remaining = contenders;
        if (contenders.Count >= 2 && blocks.Count >= 2)
        {
            var answers = contenders.Select(p => blocks.Select(r => p.Answer(r, race.Metric)!.Value).ToArray()).ToList();
            var values = RaceStatistics.FillBad(answers, race.Goal, race.Test);
            var round = RaceStatistics.Compare(values, race.Goal, race.Test, race.Alpha);
            var test = race.Test == RaceTest.T ? "paired t-test, Holm-corrected" : "Friedman test, Conover post-hoc";
            remaining = [];
            for (var i = 0; i < contenders.Count; i++)
            {
                if (round.Eliminated[i])
                {
                    var bad = answers[i].Count(double.IsNaN);
                    var worst = bad == 0 ? string.Empty : $"; {bad} of its replicates bad (no finite {race.Metric}, or failed), counted as the worst";
                    step.Decide(contenders[i], PointState.Eliminated, k, contenders[i].Completed, round.PValues[i],
                        $"worse than {contenders[round.Best].Label} on {race.Metric} over {Counted(blocks.Count, "replicate")} (p = {RaceStatistics.FormatP(round.PValues[i])}, {test}, alpha {race.Alpha.ToString(CultureInfo.InvariantCulture)}){worst}");
                }
                else
                {
                    remaining.Add(contenders[i]);
                }
            }
        }
        if (remaining.Count <= 1 || k >= race.MaxReplications)
        {
            var why = remaining.Count <= 1
                ? $"the last point in the race after round {k}"
                : $"not shown worse than the best after {race.MaxReplications} replicates (max_replications)";
            foreach (var point in remaining)
            {
                step.Decide(point, PointState.Survivor, k, point.Completed, null, why);
            }
            return;
        }
        foreach (var point in remaining)
        {
            AddReplicates(point, k, k + 1, step);
        }
    }

    private void AddReplicates(PointTrials point, int from, int to, Builder step)
    {
        var template = point.Template;
        var factory = new TrialFactory(_studySeed, _studyName, _trialName, _resources, template.MaxAttempts, Plan.MaxReplicates);
        for (var r = from; r < to; r++)
        {
            // The stored JSON as it is, and the needs as learned (memory: auto) by the point's latest replicate.
            step.Add(factory.Create(point.Params, r, point.Seq0, point.Canonical) with { ParamsJson = template.ParamsJson, Needs = template.Needs });
        }
    }


    private static string Counted(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? string.Empty : "s");

    private sealed class Builder(DateTimeOffset now)
    {
        private readonly List<NewTrial> _trials = [];
        private readonly List<PointDecision> _decisions = [];

        public void Add(NewTrial trial) => _trials.Add(trial);

        public void Decide(PointTrials point, PointState state, int round, int replicates, double? p, string reason) =>
            _decisions.Add(new PointDecision(point.Key, point.Template.ParamsJson, state, round, replicates, p, reason, now));

        public AdaptiveStep Build() => _trials.Count == 0 && _decisions.Count == 0 ? AdaptiveStep.None : new AdaptiveStep(_trials, _decisions);
    }
}
