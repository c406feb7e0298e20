using System.IO.Enumeration;
using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Analysis;

/// <summary>
/// The results of one study, for programs and notebooks: filter <see cref="Trials"/> with LINQ, then summarise,
/// compare, or aggregate curves, arrays and distributions across replications (merged by replicate index).
/// <code>
/// var results = await StudyResults.LoadAsync(store, "lr-sweep");
/// var table = results.Summary("loss", by: ["optimizer"]);
/// var adam = results.Trials.Where(t => (string?)t.Params["optimizer"] == "adam");
/// </code>
/// </summary>
public sealed class StudyResults : IAsyncDisposable
{
    private readonly IExptStore _store;

    private bool _ownsStore;

    private StudyResults(IExptStore store, StudyRecord study, IReadOnlyList<TrialResult> trials)
    {
        _store = store;
        Study = study;
        Trials = trials;
    }

    public StudyRecord Study { get; }

    /// <summary>Every trial, in plan order.</summary>
    public IReadOnlyList<TrialResult> Trials { get; }

    public IEnumerable<TrialResult> Completed => Trials.Where(t => t.Status == TrialStatus.Completed);

    /// <summary>Loads a study's trials.</summary>
    /// <exception cref="KeyNotFoundException">No study of that name.</exception>
    public static async Task<StudyResults> LoadAsync(IExptStore store, string study, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(study);
        var record = await store.GetStudyAsync(study, cancellationToken).ConfigureAwait(false) ?? throw new KeyNotFoundException($"no study named '{study}'");
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = record.Id }, cancellationToken).ConfigureAwait(false);
        return new StudyResults(store, record, trials.Select(t => new TrialResult(t)).ToList());
    }

    /// <summary>Loads a study and takes ownership of the store: disposing the results disposes it.</summary>
    public static async Task<StudyResults> LoadOwningAsync(IExptStore store, string study, CancellationToken cancellationToken = default)
    {
        try
        {
            var results = await LoadAsync(store, study, cancellationToken).ConfigureAwait(false);
            results._ownsStore = true;
            return results;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>n, mean, std, sem, 95% CI, min, median, max and rank of a metric per group.</summary>
    public IReadOnlyList<GroupSummary> Summary(string metric, IReadOnlyList<string>? by = null, bool minimize = true) =>
        Summarizer.Summarize(Trials.Select(t => t.Record).ToList(), metric, by, minimize);

    /// <summary>The per-replicate values of a metric in each group (completed trials, replicate order).</summary>
    public IReadOnlyList<(Spec.ParamSet Key, IReadOnlyList<double> Values)> Samples(string metric, IReadOnlyList<string>? by = null) =>
        Groups(by).Select(g => (g.Key, (IReadOnlyList<double>)g.Trials.Select(t => t.Number(metric)).Where(v => v is not null).Select(v => v!.Value).ToList())).ToList();

    /// <summary>Compares a metric between the trials two predicates select.</summary>
    public GroupComparison Compare(string metric, Func<TrialResult, bool> a, Func<TrialResult, bool> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        IEnumerable<double> Values(Func<TrialResult, bool> select) => Completed.Where(select).Select(t => t.Number(metric)).Where(v => v is not null).Select(v => v!.Value);
        return GroupComparison.Of(Values(a), Values(b));
    }

    /// <summary>A step metric's curves, aggregated element-wise by step per group.</summary>
    public async Task<IReadOnlyList<Curve>> CurvesAsync(string metric, IReadOnlyList<string>? by = null, CancellationToken cancellationToken = default)
    {
        var curves = new List<Curve>();
        foreach (var (key, trials) in Groups(by))
        {
            var series = new List<IReadOnlyList<(long, double)>>();
            foreach (var trial in trials)
            {
                var points = await _store.GetMetricsAsync(trial.Id, cancellationToken).ConfigureAwait(false);
                series.Add(points.Where(p => p.Name == metric).Select(p => (p.Step, p.Value)).ToList());
            }
            curves.Add(Curve.Aggregate(key, metric, series));
        }
        return curves;
    }

    /// <summary>
    /// An array result (e.g. a solution vector) aggregated element-wise per group: element i of the mean is the mean
    /// of element i over the group's trials (shorter arrays contribute to fewer elements).
    /// </summary>
    public IReadOnlyList<Curve> Arrays(string result, IReadOnlyList<string>? by = null) =>
        Groups(by).Select(g => Curve.Aggregate(g.Key, result, g.Trials.Select(t => (IReadOnlyList<(long, double)>)(t.Array(result) ?? []).Select((v, i) => ((long)i, v)).ToList()))).ToList();

    /// <summary>An array result taken as samples of one quantity, pooled per group, with its quantiles.</summary>
    public IReadOnlyList<(Spec.ParamSet Key, Descriptive Stats, IReadOnlyDictionary<double, double> Quantiles)> Distributions(string result, IReadOnlyList<string>? by = null, IReadOnlyList<double>? quantiles = null)
    {
        var qs = quantiles ?? [0.05, 0.25, 0.5, 0.75, 0.95];
        return Groups(by).Select(g =>
        {
            var pooled = g.Trials.SelectMany(t => t.Array(result) ?? []).Where(double.IsFinite).Order().ToList();
            return (g.Key, Descriptive.Of(pooled), (IReadOnlyDictionary<double, double>)qs.ToDictionary(q => q, q => Descriptive.Quantile(pooled, q)));
        }).ToList();
    }

    /// <summary>The artifacts (files in trial directories) whose names match a pattern, collected per group: e.g. every "*.png".</summary>
    public IReadOnlyList<(Spec.ParamSet Key, IReadOnlyList<string> Files)> Artifacts(string pattern = "*", IReadOnlyList<string>? by = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return Groups(by).Select(g => (g.Key, (IReadOnlyList<string>)g.Trials
            .SelectMany(t =>
            {
                // Bounded and without following links: a trial's link to '..' cannot make this loop.
                var dir = Storage.TrialDirectories.TrialPath(_store.RunsDirectory, Study.Name, t.Id);
                return Execution.TrialFiles.List(dir).Entries
                    .Where(e => e.Kind == Execution.TrialFileKind.File && FileSystemName.MatchesSimpleExpression(pattern, Path.GetFileName(e.Path)))
                    .Select(e => Path.Combine(dir, e.Path));
            })
            .ToList())).ToList();
    }

    /// <summary>
    /// Like <see cref="Artifacts"/>, for trials that ran on other machines too: files a PostgreSQL store keeps for
    /// them are copied into this machine's runs directory first.
    /// </summary>
    public async Task<IReadOnlyList<(Spec.ParamSet Key, IReadOnlyList<string> Files)>> ArtifactsAsync(string pattern = "*", IReadOnlyList<string>? by = null, CancellationToken cancellationToken = default)
    {
        foreach (var trial in Completed)
        {
            await Storage.TrialDirectories.LocalAsync(_store, Study.Name, trial.Id, cancellationToken).ConfigureAwait(false);
        }
        return Artifacts(pattern, by);
    }

    private IEnumerable<(Spec.ParamSet Key, IReadOnlyList<TrialResult> Trials)> Groups(IReadOnlyList<string>? by)
    {
        var byId = Trials.ToDictionary(t => t.Id);
        return Summarizer.Group(Completed.Select(t => t.Record).ToList(), by)
            .Select(g => (g.Key, (IReadOnlyList<TrialResult>)g.Trials.OrderBy(t => t.Replicate).Select(t => byId[t.Id]).ToList()));
    }
}
