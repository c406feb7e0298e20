using Expt.Analysis;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Adaptive;

/// <summary>The trials of one parameter point, by replicate: what the adaptive rules look at.</summary>
internal sealed class PointTrials
{
    private readonly Dictionary<int, TrialResult> _completed = [];

    private PointTrials(string canonical, ParamSet parameters, List<TrialRecord> rows)
    {
        Canonical = canonical;
        Params = parameters;
        Rows = rows;
        Key = TrialIdentity.Key(canonical, 0);
        var first = rows[0];
        Seq0 = first.Seq - first.Replicate;
        Template = rows[^1];
        foreach (var row in rows.Where(r => r.Status == TrialStatus.Completed))
        {
            _completed.TryAdd(row.Replicate, new TrialResult(row));
        }
        // A cancelled replicate has not answered (Ctrl+C, expt cancel): it runs again when the study resumes, so the point
        // waits for it rather than deciding without it.
        Settled = rows.All(r => r.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Timeout);
        Created = rows[^1].Replicate + 1;
    }

    /// <summary>The point's key: the trial key of its replicate 0.</summary>
    public string Key { get; }

    public string Canonical { get; }

    public ParamSet Params { get; }

    /// <summary>The point's trials by replicate.</summary>
    public List<TrialRecord> Rows { get; }

    /// <summary>The sequence number replicate 0 has (or would have): replicate r goes at <c>Seq0 + r</c>.</summary>
    public long Seq0 { get; }

    /// <summary>The latest replicate: new ones take its attempts, priority and needs (learned memory included).</summary>
    public TrialRecord Template { get; }

    /// <summary>Every replicate has its answer: completed, or failed for good.</summary>
    public bool Settled { get; }

    /// <summary>Replicates created so far (the highest index + 1).</summary>
    public int Created { get; }

    /// <summary>Replicates completed.</summary>
    public int Completed => _completed.Count;

    /// <summary>The parameters, short, for reasons.</summary>
    public string Label
    {
        get
        {
            var text = Params.ToString();
            return text.Length > 120 ? text[..117] + "..." : text;
        }
    }

    /// <summary>
    /// A result over the completed replicates, in replicate order: each finite value, and <paramref name="bad"/> for a
    /// replicate that completed without one (missing, NaN or infinite: a diverged run is a bad run, not one that did
    /// not happen).
    /// </summary>
    public IReadOnlyList<double> Values(string metric, double bad) =>
        _completed.OrderBy(c => c.Key).Select(c => c.Value.Number(metric) is { } v && double.IsFinite(v) ? v : bad).ToList();

    /// <summary>The finite values of a result over the completed replicates (what a summary shows).</summary>
    public IReadOnlyList<double> FiniteValues(string metric) => Values(metric, double.NaN).Where(double.IsFinite).ToList();

    /// <summary>
    /// A replicate's answer on a result: its finite value; NaN for a bad one (completed without a finite value, or
    /// failed or timed out for good); null when it has no answer (not created, pending, running, cancelled).
    /// </summary>
    public double? Answer(int replicate, string metric)
    {
        if (_completed.TryGetValue(replicate, out var result))
        {
            return result.Number(metric) is { } v && double.IsFinite(v) ? v : double.NaN;
        }
        return Rows.Any(r => r.Replicate == replicate && r.Status is TrialStatus.Failed or TrialStatus.Timeout) ? double.NaN : null;
    }

    /// <summary>Whether any completed replicate reports <paramref name="metric"/> at all (even as NaN).</summary>
    public bool Reports(string metric) => _completed.Values.Any(r => r.Results.ContainsKey(metric) || Resources.TrialUsage.MetricNames.Contains(metric));

    /// <summary>The study's trials grouped by point, in plan order.</summary>
    public static IEnumerable<PointTrials> Group(IEnumerable<TrialRecord> trials) =>
        trials
            .Select(t => (Trial: t, Params: ParamSet.FromJson(t.ParamsJson)))
            .GroupBy(t => t.Params.ToCanonicalJson(), StringComparer.Ordinal)
            .Select(g => new PointTrials(g.Key, g.First().Params, g.Select(t => t.Trial).OrderBy(t => t.Replicate).ThenBy(t => t.Seq).ToList()))
            .OrderBy(p => p.Rows.Min(r => r.Seq));
}
