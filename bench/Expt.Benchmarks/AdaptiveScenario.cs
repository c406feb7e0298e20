using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Expt.Adaptive;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Storage.Sqlite;
using Expt.Trials;
using static Expt.Benchmarks.Scenarios;

namespace Expt.Benchmarks;

/// <summary>
/// Adaptive replications against a known truth: 20 points whose objective is Normal(μᵢ, σᵢ), drawn from each trial's
/// seed, run as real studies (SQLite store, the worker, in-process trials) for 200 study seeds. Racing: how often it
/// returns a true best (within a tolerance) and at what cost against every point run to max_replications, and a
/// fixed-replications run of the same cost. Sequential stopping: how often each point's estimate meets its precision
/// target, against fixed replications of the same cost.
/// </summary>
internal static class AdaptiveScenario
{
    /// <summary>
    /// True means: the best is 0; two near-ties (0.02, 0.05) and two close calls (0.08, 0.12), all noisy (σ 0.25 to
    /// 0.3); then ever further, σ from 0.1 to 0.3.
    /// </summary>
    private static readonly double[] Mu = [0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5];

    private static double Sigma(int i) => i < 5 ? (i % 2 == 0 ? 0.3 : 0.25) : 0.1 + (0.2 * ((i * 7) % 5) / 4.0);

    /// <summary>A pick this close to the true best counts as a best: about a quarter of the near-best points' σ (near-ties cannot be told apart at any sane cost).</summary>
    private const double Tolerance = 0.08;

    private static readonly int Seeds = int.TryParse(Environment.GetEnvironmentVariable("EXPT_BENCH_SEEDS"), out var n) ? n : 200;

    private const int MaxReplications = 30;

    // Sequential stopping: means from 2 to 10, σ from 1% to 8% of the mean; the rule asks for a 95% interval within 2%
    // of the mean (from 5 to about 60 replicates for these points).
    private static double SeqMu(int i) => 2 + (8.0 * i / 19);

    private static double SeqSigma(int i) => SeqMu(i) * (0.01 + (0.07 * ((i * 3) % 7) / 6.0));

    private const string Rule = "ci95_halfwidth(objective) < 0.02 * abs(mean(objective))";

    private static double Normal(long seed, double mu, double sigma)
    {
        var r = new Random((int)(seed % int.MaxValue));
        return mu + (sigma * Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
    }

    public static async Task RunAsync(Action<string, int, double> record)
    {
        var watch = Stopwatch.StartNew();
        var race = await ManyAsync(seed => RaceAsync(seed));
        var raceCost = race.Average(r => r.Trials);
        var fixedN = (int)Math.Round(raceCost / Mu.Length);
        var fixedRight = Enumerable.Range(0, Seeds).Count(seed => Mu[FixedPick(seed, fixedN)] - Mu[0] <= Tolerance);
        var fullRight = Enumerable.Range(0, Seeds).Count(seed => Mu[FixedPick(seed, MaxReplications)] - Mu[0] <= Tolerance);
        var exact = race.Count(r => r.Pick == 0);
        var right = race.Count(r => Mu[r.Pick] - Mu[0] <= Tolerance);
        var full = Mu.Length * MaxReplications;
        record("adaptive: race returns a best within 0.08 (%)", 0, 100.0 * right / Seeds);
        record("adaptive: race returns the true best (%)", 0, 100.0 * exact / Seeds);
        record("adaptive: race cost / every point to max (%)", 0, 100 * raceCost / full);
        record("adaptive: fixed replications of equal cost, best within 0.08 (%)", 0, 100.0 * fixedRight / Seeds);
        Console.WriteLine($"race (t-test, Holm, alpha 0.05, 5–{MaxReplications} replicates) over {Seeds} study seeds: a best within {Tolerance} in {Pct(right)} " +
            $"(the true best in {Pct(exact)}), {F(raceCost, "0.0")} trials on average = {F(100 * raceCost / full, "0.0")}% of {full} (max {race.Max(r => r.Trials)}); " +
            $"survivors {F(race.Average(r => r.Survivors), "0.0")} on average");
        Console.WriteLine($"fixed replications of the same cost ({fixedN} per point, {fixedN * Mu.Length} trials): a best within {Tolerance} in {Pct(fixedRight)}; " +
            $"every point to {MaxReplications} ({full} trials): {Pct(fullRight)}");

        var friedman = await ManyAsync(seed => RaceAsync(seed, "friedman"));
        record("adaptive: friedman race returns a best within 0.08 (%)", 0, 100.0 * friedman.Count(r => Mu[r.Pick] - Mu[0] <= Tolerance) / Seeds);
        record("adaptive: friedman race cost / every point to max (%)", 0, 100 * friedman.Average(r => r.Trials) / full);
        Console.WriteLine($"race (friedman, F-Race) on the same studies: a best within {Tolerance} in {Pct(friedman.Count(r => Mu[r.Pick] - Mu[0] <= Tolerance))} " +
            $"(the true best in {Pct(friedman.Count(r => r.Pick == 0))}), {F(friedman.Average(r => r.Trials), "0.0")} trials on average = {F(100 * friedman.Average(r => r.Trials) / full, "0.0")}% of {full}");

        var seq = await ManyAsync(seed => SequentialAsync(seed));
        var points = seq.Sum(s => s.Points);
        var precise = seq.Sum(s => s.WithinTarget);
        var met = seq.Sum(s => s.RuleMet);
        var seqCost = seq.Average(s => s.Trials);
        var fixedSeq = (int)Math.Round(seqCost / Mu.Length);
        var fixedWithin = Enumerable.Range(0, Seeds).Sum(seed => FixedWithinTarget(seed, fixedSeq));
        record("adaptive: sequential, points within 2% of the truth (%)", 0, 100.0 * precise / points);
        record("adaptive: sequential, fixed replications of equal cost within 2% (%)", 0, 100.0 * fixedWithin / points);
        Console.WriteLine($"sequential stopping (until {Rule}; 5–200 replicates) over {Seeds} study seeds × {Mu.Length} points: the rule met on {Pct(met, points)} of points, " +
            $"the estimate within 2% of the true mean on {Pct(precise, points)}; {F(seqCost, "0.0")} trials per study ({F(seqCost / Mu.Length, "0.0")} per point, " +
            $"from {seq.Min(s => s.MinPerPoint)} to {seq.Max(s => s.MaxPerPoint)})");
        Console.WriteLine($"fixed replications of the same cost ({fixedSeq} per point): within 2% on {Pct(fixedWithin, points)} of points");
        Console.WriteLine($"({F(watch.Elapsed.TotalSeconds, "0")} s: {Seeds * 3} studies through a SQLite store and the worker)");
    }

    private static string Pct(int count, int? of = null) => F(100.0 * count / (of ?? Seeds), "0.0") + "%";

    private static async Task<List<T>> ManyAsync<T>(Func<int, Task<T>> one)
    {
        var results = new ConcurrentDictionary<int, T>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Seeds), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) },
            async (seed, _) => results[seed] = await one(seed));
        return [.. results.OrderBy(r => r.Key).Select(r => r.Value)];
    }

    private sealed record RaceResult(int Trials, int Pick, int Survivors);

    private static async Task<RaceResult> RaceAsync(int seed, string test = "t")
    {
        var spec = Bind($"name: race\nparams:\n  i: range({Mu.Length})\nobjectives: {{loss: minimize}}\nrace: {{test: {test}, alpha: 0.05, min_replications: 5, max_replications: {MaxReplications}}}\nseed: {seed}\n");
        var (study, trials, decisions) = await RunStudyAsync(spec, t => Normal(t.Seed, Mu[t.Get<int>("i")], Sigma(t.Get<int>("i"))));
        var report = AdaptiveReport.For(study, trials, decisions)!;
        return new RaceResult(trials.Count, report.Best!.Params.Get<int>("i"), decisions.Count(d => d.State == PointState.Survivor));
    }

    private sealed record SequentialResult(int Trials, int Points, int WithinTarget, int RuleMet, int MinPerPoint, int MaxPerPoint);

    private static async Task<SequentialResult> SequentialAsync(int seed)
    {
        var spec = Bind($"name: seq\nparams:\n  i: range({Mu.Length})\nobjectives: {{loss: minimize}}\nreplications: {{min: 5, max: 200, until: '{Rule}'}}\nseed: {seed}\n");
        var (study, trials, decisions) = await RunStudyAsync(spec, t => Normal(t.Seed, SeqMu(t.Get<int>("i")), SeqSigma(t.Get<int>("i"))));
        var report = AdaptiveReport.For(study, trials, decisions)!;
        var within = report.Points.Count(p => Math.Abs(p.Stats.Mean - SeqMu(p.Params.Get<int>("i"))) <= 0.02 * SeqMu(p.Params.Get<int>("i")));
        return new SequentialResult(trials.Count, report.Points.Count, within, decisions.Count(d => d.State == PointState.Precise),
            report.Points.Min(p => p.Trials), report.Points.Max(p => p.Trials));
    }

    private static async Task<(StudyRecord Study, IReadOnlyList<TrialRecord> Trials, IReadOnlyList<PointDecision> Decisions)> RunStudyAsync(StudySpec spec, Func<Trial, double> value)
    {
        var dir = Directory.CreateTempSubdirectory("expt-bench-adaptive-").FullName;
        try
        {
            await using var store = await SqliteStore.OpenAsync(Path.Combine(dir, "expt.db"));
            var prepared = await StudyPreparation.PrepareAsync(store, spec, null, requeueCancelled: true);
            var options = new WorkerOptions
            {
                StudyId = prepared.Study.Id,
                Slots = 2,
                AdaptiveStudies = new Dictionary<string, AdaptiveRules> { [prepared.Study.Id] = AdaptiveRules.For(prepared.Study)! },
            };
            var executor = new InProcessExecutor(t => Task.FromResult<object?>(new { loss = value(t) }), null);
            await new Worker(store, _ => executor, options).RunAsync(default, default);
            var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = prepared.Study.Id });
            return (prepared.Study, trials, await store.GetPointDecisionsAsync(prepared.Study.Id));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // A fixed number of replications per point, the same seeds a study would give them: the point with the best mean.
    private static int FixedPick(int seed, int replications)
    {
        var spec = Bind($"name: fixed\nparams:\n  i: range({Mu.Length})\nreplications: {replications}\nseed: {seed}\n");
        return TrialPlan.Create(spec).GroupBy(t => t.PointIndex)
            .Select(g => (Point: g.Key, Mean: g.Average(t => Normal(t.Seed, Mu[g.Key], Sigma(g.Key)))))
            .MinBy(p => p.Mean).Point;
    }

    private static int FixedWithinTarget(int seed, int replications)
    {
        var spec = Bind($"name: fixed\nparams:\n  i: range({Mu.Length})\nreplications: {replications}\nseed: {seed}\n");
        return TrialPlan.Create(spec).GroupBy(t => t.PointIndex)
            .Count(g => Math.Abs(g.Average(t => Normal(t.Seed, SeqMu(g.Key), SeqSigma(g.Key))) - SeqMu(g.Key)) <= 0.02 * SeqMu(g.Key));
    }

    private static StudySpec Bind(string yaml) =>
        StudySpecBinder.Bind(YamlConfigReader.Parse(yaml, "bench.yaml"), new BindOptions { DefaultExperiment = "bench" });
}
