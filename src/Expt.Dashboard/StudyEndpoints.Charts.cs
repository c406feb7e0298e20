using Expt.Analysis;
using Expt.Expressions;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// The summary and the charts: summaries across replications, step-metric curves, scatter, parallel coordinates.
internal static partial class StudyEndpoints
{
    /// <summary>One group of the summary table: its key, the where-expression that selects it, its statistics and rank.</summary>
    internal sealed record SummaryGroupView(Dictionary<string, object?> Key, string Label, string Where, int N, double? Mean, double? Std, double? CiLow, double? CiHigh,
        double? Min, double? Median, double? Max, int Failed, int Missing, int? Rank);

    /// <summary>The summary of one metric across replications, grouped.</summary>
    internal sealed record SummaryView(string? Metric, string? Goal, IReadOnlyList<string>? By, IReadOnlyList<SummaryGroupView> Groups);

    /// <summary>One trial's curve of a step metric, downsampled.</summary>
    internal sealed record TrialCurveView(string Label, string Id, int N, IEnumerable<double> X, double?[] Y);

    /// <summary>The chosen trials' curves of a step metric.</summary>
    internal sealed record TrialCurvesView(IReadOnlyList<string> Names, string? Metric, string? Mode, IReadOnlyList<TrialCurveView> Series);

    /// <summary>One group's mean ± std curve over its completed trials, downsampled.</summary>
    internal sealed record MeanCurveView(string Label, int Trials, IEnumerable<double> X, double?[] Mean, double?[] Std);

    /// <summary>Mean ± std curves per group, with how many trials were read of how many completed.</summary>
    internal sealed record MeanCurvesView(IReadOnlyList<string> Names, string Metric, string Mode, IReadOnlyList<string>? By, int Used, int Completed, IReadOnlyList<MeanCurveView> Series);

    /// <summary>A point of the scatter: the parameter's position on its axis, the metric, the trial.</summary>
    internal sealed record ScatterPoint(double? X, double? Y, string Id);

    /// <summary>A final metric against one parameter.</summary>
    internal sealed record ScatterView(string? Metric, string? Param, string? Goal, IReadOnlyList<string>? Categories, int Matched, IReadOnlyList<ScatterPoint> Points);

    /// <summary>An axis of parallel coordinates: numeric (min, max) or categorical.</summary>
    internal sealed record ParallelAxis(string Name, IReadOnlyList<string>? Categories, double? Min, double? Max);

    /// <summary>A trial's line across the axes.</summary>
    internal sealed record ParallelLine(string Id, IReadOnlyList<double?> V);

    /// <summary>Parallel coordinates: the varying parameters, then the metric.</summary>
    internal sealed record ParallelView(string? Metric, string? Goal, IReadOnlyList<ParallelAxis> Axes, IReadOnlyList<ParallelLine> Lines);

    private static IResult Summary(HttpContext http, string? metric, string? by, string? goal)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? s.PrimaryMetric;
        if (metric is null)
        {
            return Results.Json(new SummaryView(null, null, null, []));
        }
        var chosen = Blank(goal) ?? Goal(s, metric);
        var view = s.Summaries.GetOrAdd((metric, by, chosen), _ => new SummaryView(metric, chosen, By(by),
            [.. Summarizer.Summarize(s.Records, metric, By(by), minimize: chosen != "max").Select(g => new SummaryGroupView(
                g.Key.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                g.Key.ToString(),
                string.Join(" and ", g.Key.Select(p => $"{p.Key} == {WhereExpression.Literalize(p.Value)}")),
                g.Stats.N, Json.Finite(g.Stats.Mean), Json.Finite(g.Stats.Std), Json.Finite(g.Stats.CiLow), Json.Finite(g.Stats.CiHigh),
                Json.Finite(g.Stats.Min), Json.Finite(g.Stats.Median), Json.Finite(g.Stats.Max), g.Failed, g.Missing, g.Rank))]));
        return Results.Json(view);
    }

    /// <summary>Step-metric names: those of the first finished (else running) trial.</summary>
    private static async Task<IReadOnlyList<string>> StepMetricsAsync(StudySnapshot s, IExptStore store, CancellationToken cancellationToken)
    {
        if (s.StepMetrics is { } known)
        {
            return known;
        }
        var sample = s.Rows.Where(r => r.Record.Status == TrialStatus.Completed).Take(1)
            .Concat(s.Rows.Where(r => r.Record.Status is TrialStatus.Running or TrialStatus.Failed or TrialStatus.Timeout).Take(1));
        var names = new List<string>();
        foreach (var row in sample)
        {
            foreach (var point in await store.GetMetricsAsync(row.Record.Id, cancellationToken).ConfigureAwait(false))
            {
                if (!names.Contains(point.Name, StringComparer.Ordinal))
                {
                    names.Add(point.Name);
                }
            }
            if (names.Count > 0)
            {
                break;
            }
        }
        s.StepMetrics = names;
        return names;
    }

    /// <summary>
    /// Step-metric curves: one per listed trial (read live), or the mean ± std per group over completed trials
    /// (at most <see cref="MaxCurveTrials"/> of them), each downsampled to the options' point budget.
    /// </summary>
    private static async Task<IResult> CurvesAsync(HttpContext http, StudyCache cache, DashboardOptions options, string? metric, string? by, string? mode, string? ids, int? points, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        var names = await StepMetricsAsync(s, cache.Store, cancellationToken).ConfigureAwait(false);
        metric = Blank(metric) ?? names.FirstOrDefault();
        if (metric is null)
        {
            return Results.Json(new TrialCurvesView(names, null, null, []));
        }
        var budget = Math.Clamp(points ?? options.MaxSeriesPoints, 16, options.MaxSeriesPoints);
        if (mode == "trials")
        {
            var wanted = (ids ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(100).ToHashSet(StringComparer.Ordinal);
            var series = new List<TrialCurveView>();
            foreach (var row in s.Rows.Where(r => wanted.Contains(r.Record.Id)))
            {
                var data = (await cache.Store.GetMetricsAsync(row.Record.Id, cancellationToken).ConfigureAwait(false)).Where(p => p.Name == metric).ToList();
                var x = data.Select(p => (double)p.Step).ToArray();
                var y = data.Select(p => p.Value).ToArray();
                var keep = Downsampler.MinMax(x, y, budget);
                series.Add(new TrialCurveView($"{row.Record.Id} {row.Params}", row.Record.Id, data.Count, keep.Select(i => x[i]), Json.Finite(keep.Select(i => y[i]))));
            }
            return Results.Json(new TrialCurvesView(names, metric, mode, series));
        }
        if (!s.Curves.TryGet((metric, by, budget), out var view))
        {
            view = s.Curves.Keep((metric, by, budget), await MeanCurvesAsync(s, cache.Store, names, metric, by, budget, cancellationToken).ConfigureAwait(false));
        }
        return Results.Json(view);
    }

    private static async Task<MeanCurvesView> MeanCurvesAsync(StudySnapshot s, IExptStore store, IReadOnlyList<string> names, string metric, string? by, int budget, CancellationToken cancellationToken)
    {
        var completed = s.Records.Where(r => r.Status == TrialStatus.Completed).ToList();
        var groups = Summarizer.Group(completed, By(by));
        var perGroup = Math.Max(1, MaxCurveTrials / Math.Max(1, groups.Count));
        var list = new List<MeanCurveView>();
        var used = 0;
        foreach (var (groupKey, trials) in groups)
        {
            var series = new List<IReadOnlyList<(long, double)>>();
            foreach (var trial in trials.Take(perGroup))
            {
                var data = await store.GetMetricsAsync(trial.Id, cancellationToken).ConfigureAwait(false);
                series.Add(data.Where(p => p.Name == metric).Select(p => (p.Step, p.Value)).ToList());
            }
            used += series.Count;
            var curve = Curve.Aggregate(groupKey, metric, series);
            var x = curve.Steps.Select(v => (double)v).ToArray();
            var keep = Downsampler.MinMax(x, curve.Mean, budget);
            list.Add(new MeanCurveView(groupKey.ToString(), series.Count, keep.Select(i => x[i]), Json.Finite(keep.Select(i => curve.Mean[i])), Json.Finite(keep.Select(i => curve.Std[i]))));
        }
        return new MeanCurvesView(names, metric, "mean", By(by), used, completed.Count, list);
    }

    private static IEnumerable<TrialResult> Sample(IReadOnlyList<TrialResult> rows, int max)
    {
        if (rows.Count <= max)
        {
            return rows;
        }
        var step = (double)rows.Count / max;
        return Enumerable.Range(0, max).Select(i => rows[(int)(i * step)]);
    }

    /// <summary>A final metric against one parameter, one point per completed trial.</summary>
    private static IResult Scatter(HttpContext http, string? metric, string? param)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? s.PrimaryMetric;
        param = Blank(param) ?? s.Varying.FirstOrDefault() ?? s.ParamNames.FirstOrDefault();
        if (metric is null || param is null)
        {
            return Results.Json(new ScatterView(metric, param, null, null, 0, []));
        }
        var view = s.Scatters.GetOrAdd((metric, param), _ =>
        {
            var rows = s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is not null && r.Params.Contains(param)).ToList();
            var axis = Axis.Of(param, rows.Select(r => r.Params[param]));
            return new ScatterView(metric, param, Goal(s, metric), axis.Categories, rows.Count,
                [.. Sample(rows, MaxPoints).Select(r => new ScatterPoint(axis.Position(r.Params[param]), Json.Finite(r.Number(metric)!.Value), r.Record.Id))]);
        });
        return Results.Json(view);
    }

    /// <summary>Parallel coordinates: one line per completed trial across the varying parameters, then the metric.</summary>
    private static IResult ParallelCoordinates(HttpContext http, string? metric)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? s.PrimaryMetric;
        if (metric is null)
        {
            return Results.Json(new ParallelView(null, null, [], []));
        }
        var view = s.Parallels.GetOrAdd(metric, _ =>
        {
            var rows = Sample(s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is not null).ToList(), MaxPoints).ToList();
            var axes = s.Varying.Select(p => Axis.Of(p, rows.Select(r => r.Params.TryGetValue(p, out var v) ? v : null))).ToList();
            axes.Add(Axis.Of(metric, rows.Select(r => (object?)r.Number(metric))));
            return new ParallelView(metric, Goal(s, metric),
                [.. axes.Select(a => new ParallelAxis(a.Name, a.Categories, Json.Finite(a.Min), Json.Finite(a.Max)))],
                [.. rows.Select(r => new ParallelLine(r.Record.Id,
                    [.. axes.Take(axes.Count - 1).Select(a => (double?)a.Position(r.Params.TryGetValue(a.Name, out var v) ? v : null)).Append(Json.Finite(r.Number(metric)!.Value))]))]);
        });
        return Results.Json(view);
    }
}
