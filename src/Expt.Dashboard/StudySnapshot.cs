using System.Globalization;
using Expt.Analysis;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Dashboard;

/// <summary>A study's trials as loaded at one moment, parsed for the pages' queries.</summary>
internal sealed class StudySnapshot
{
    public StudySnapshot(StudyRecord study, IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<TrialStatus, int> counts, long version)
    {
        Study = study;
        Records = trials;
        Rows = trials.Select(t => new TrialResult(t)).ToArray();
        Counts = counts;
        Version = version;
        ParamNames = Rows.SelectMany(r => r.Params.Names).Distinct(StringComparer.Ordinal).ToList();
        // Result names in order of first appearance; numeric ones are the metrics that can be charted and summarised.
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var numeric = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            foreach (var (name, value) in row.Results)
            {
                if (seen.Add(name))
                {
                    names.Add(name);
                }
                if (Numbers.Of(value) is not null)
                {
                    numeric.Add(name);
                }
            }
        }
        ResultNames = names;
        // What the trials used is there to chart and summarise too (peak memory per group, CPU efficiency).
        var usage = Rows.Any(r => r.Usage is not null)
            ? Resources.TrialUsage.MetricNames.Where(m => !seen.Contains(m) && Rows.Any(r => r.Number(m) is not null))
            : [];
        Metrics = [.. names.Where(numeric.Contains), .. usage];
    }

    public StudyRecord Study { get; }

    public IReadOnlyList<TrialRecord> Records { get; }

    public TrialResult[] Rows { get; }

    public IReadOnlyDictionary<TrialStatus, int> Counts { get; }

    /// <summary>Increases whenever the cache reloads the study: a key for anything computed from the snapshot.</summary>
    public long Version { get; }

    public IReadOnlyList<string> ParamNames { get; }

    public IReadOnlyList<string> ResultNames { get; }

    public IReadOnlyList<string> Metrics { get; }

    /// <summary>How the trials' energy was estimated (the most common method), or null when none was.</summary>
    public string? EnergyMethod => _energyMethod ??= Rows.Select(r => r.Usage?.EnergyMethod).Where(m => m is not null).GroupBy(m => m).OrderByDescending(g => g.Count()).FirstOrDefault()?.Key ?? string.Empty;

    /// <summary>The study's declared objectives (its <c>objectives:</c> key).</summary>
    public Objectives Objectives => _objectives ??= Objectives.FromSpecJson(Study.SpecJson);

    /// <summary>Parameters that take more than one value in the study: the ones worth a chart axis.</summary>
    public IReadOnlyList<string> Varying => _varying ??= ParamNames
        .Where(p => Rows.Select(r => r.Params.TryGetValue(p, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null).Distinct().Skip(1).Any())
        .ToList();

    /// <summary>The metric ranked by default: the study's first objective when its trials have it, else the first metric.</summary>
    public string? PrimaryMetric => Objectives.Primary?.Metric is { } declared && Metrics.Contains(declared) ? declared : Metrics.FirstOrDefault();

    /// <summary>Step-metric names (from a sample trial), once read.</summary>
    public IReadOnlyList<string>? StepMetrics { get; set; }

    /// <summary>Orders of the trials table by query, so paging through one is instant.</summary>
    public ViewCache<TrialQuery, int[]> Orders { get; } = new();

    /// <summary>Summaries by metric, grouping and goal.</summary>
    public ViewCache<(string Metric, string? By, string Goal), StudyEndpoints.SummaryView> Summaries { get; } = new();

    /// <summary>Mean ± std curves by metric, grouping and point budget.</summary>
    public ViewCache<(string Metric, string? By, int Budget), StudyEndpoints.MeanCurvesView> Curves { get; } = new();

    /// <summary>Scatter views by metric and parameter.</summary>
    public ViewCache<(string Metric, string Param), StudyEndpoints.ScatterView> Scatters { get; } = new();

    /// <summary>Parallel-coordinates views by metric.</summary>
    public ViewCache<string, StudyEndpoints.ParallelView> Parallels { get; } = new();

    private Objectives? _objectives;
    private string? _energyMethod;
    private IReadOnlyList<string>? _varying;
}
