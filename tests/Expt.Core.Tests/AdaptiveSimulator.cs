using System.Globalization;
using Expt.Adaptive;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Core.Tests;

/// <summary>
/// An adaptive study run in memory, as a store and workers would run it: up to <c>parallel</c> trials at once,
/// finishing in a random order, each completion followed by the rules' decision (applied as a store applies it).
/// </summary>
internal sealed class AdaptiveSimulator
{
    private readonly AdaptiveRules _rules;
    private readonly List<TrialRecord> _trials = [];
    private readonly List<PointDecision> _decisions = [];

    private AdaptiveSimulator(StudySpec spec)
    {
        var study = new StudyRecord("1", spec.Name, null, [], spec.ToJson(), spec.Fingerprint, spec.Seed, DateTimeOffset.UnixEpoch, null);
        _rules = AdaptiveRules.For(study) ?? throw new InvalidOperationException("the study is not adaptive");
        Study = study;
        foreach (var t in TrialPlan.Create(spec))
        {
            Add(new NewTrial(t.Key, t.Seq, t.Replicate, t.Params.ToFlatJson(), t.Seed, spec.Retries + 1));
        }
    }

    public StudyRecord Study { get; }

    public IReadOnlyList<TrialRecord> Trials => _trials;

    public IReadOnlyList<PointDecision> Decisions => _decisions;

    /// <summary>Runs the study to its end; <paramref name="run"/> gives a trial's result (null: it fails).</summary>
    public static AdaptiveSimulator Run(StudySpec spec, Func<ParamSet, long, double?> run, int parallel, int orderSeed)
    {
        var sim = new AdaptiveSimulator(spec);
        var order = new Random(orderSeed);
        var running = new List<int>();
        while (true)
        {
            foreach (var i in Enumerable.Range(0, sim._trials.Count).Where(i => sim._trials[i].Status == TrialStatus.Pending).Take(parallel - running.Count).ToList())
            {
                sim._trials[i] = sim._trials[i] with { Status = TrialStatus.Running };
                running.Add(i);
            }
            if (running.Count == 0)
            {
                return sim;
            }
            var pick = running[order.Next(running.Count)];
            running.Remove(pick);
            var trial = sim._trials[pick];
            var value = run(ParamSet.FromJson(trial.ParamsJson), trial.Seed);
            // NaN and infinities are stored as a trial writes them (strings), as a diverged run would report them.
            sim._trials[pick] = value is { } v
                ? trial with { Status = TrialStatus.Completed, ResultsJson = "{\"loss\":" + (double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "\"" + Execution.ResultsJson.NonFinite(v) + "\"") + "}" }
                : trial with { Status = TrialStatus.Failed, Error = "boom" };
            sim.Advance();
        }
    }

    /// <summary>One decision, applied.</summary>
    public AdaptiveStep Advance()
    {
        var step = _rules.Decide(_trials, _decisions, DateTimeOffset.UnixEpoch);
        foreach (var trial in step.NewTrials.Where(t => _trials.All(x => x.Key != t.Key)))
        {
            Add(trial);
        }
        _decisions.AddRange(step.Decisions.Where(d => _decisions.All(x => x.Point != d.Point)));
        return step;
    }

    private void Add(NewTrial t) => _trials.Add(new TrialRecord
    {
        Id = _trials.Count.ToString("x8", CultureInfo.InvariantCulture),
        StudyId = "1",
        StudyName = Study?.Name ?? "s",
        Key = t.Key,
        Seq = t.Seq,
        Replicate = t.Replicate,
        ParamsJson = t.ParamsJson,
        Seed = t.Seed,
        Status = TrialStatus.Pending,
        MaxAttempts = t.MaxAttempts,
    });
}
