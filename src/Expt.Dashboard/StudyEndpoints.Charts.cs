using Expt.Analysis;
using Expt.Expressions;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// The summary and the charts: summaries across replications, step-metric curves, scatter, parallel coordinates.
internal static partial class StudyEndpoints
{
    private static async Task<IResult> SummaryAsync(HttpContext http, string name, StudyCache cache, string? metric, string? by, string? goal, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? PrimaryMetric(s);
        goal = Blank(goal);
        if (metric is null)
        {
            return Results.Json(new { metric, groups = Array.Empty<object>() });
        }
        goal ??= Goal(s, metric);
        var key = $"summary|{metric}|{by}|{goal}";
        if (s.Memo.TryGetValue(key, out var memo))
        {
            return Results.Json(memo);
        }
        var summaries = Summarizer.Summarize(s.Records, metric, By(by), minimize: goal != "max");
        var result = new
        {
            metric,
            goal,
            by = By(by),
            groups = summaries.Select(g => new
            {
                key = g.Key.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                label = g.Key.ToString(),
                where = string.Join(" and ", g.Key.Select(p => $"{p.Key} == {WhereExpression.Literalize(p.Value)}")),
                n = g.Stats.N,
                mean = Json.Finite(g.Stats.Mean),
                std = Json.Finite(g.Stats.Std),
                ciLow = Json.Finite(g.Stats.CiLow),
                ciHigh = Json.Finite(g.Stats.CiHigh),
                min = Json.Finite(g.Stats.Min),
                median = Json.Finite(g.Stats.Median),
                max = Json.Finite(g.Stats.Max),
                failed = g.Failed,
                missing = g.Missing,
                rank = g.Rank,
            }).ToList(),
        };
        s.Memo[key] = result;
        return Results.Json(result);
    }

    /// <summary>Step-metric names: those of the first finished (else running) trial.</summary>
    private static async Task<IReadOnlyList<string>> StepMetricsAsync(StudySnapshot s, IExptStore store, CancellationToken cancellationToken)
    {
        if (s.Memo.TryGetValue("step-metrics", out var memo))
        {
            return (IReadOnlyList<string>)memo;
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
        s.Memo["step-metrics"] = names;
        return names;
    }

    /// <summary>
    /// Step-metric curves: one per listed trial (read live), or the mean ± std per group over completed trials
    /// (at most <see cref="MaxCurveTrials"/> of them), each downsampled to the options' point budget.
    /// </summary>
    private static async Task<IResult> CurvesAsync(HttpContext http, string name, StudyCache cache, DashboardOptions options, string? metric, string? by, string? mode, string? ids, int? points, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        var names = await StepMetricsAsync(s, cache.Store, cancellationToken).ConfigureAwait(false);
        metric = Blank(metric) ?? names.FirstOrDefault();
        if (metric is null)
        {
            return Results.Json(new { names, metric, series = Array.Empty<object>() });
        }
        var budget = Math.Clamp(points ?? options.MaxSeriesPoints, 16, options.MaxSeriesPoints);
        if (mode == "trials")
        {
            var wanted = (ids ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(100).ToHashSet(StringComparer.Ordinal);
            var series = new List<object>();
            foreach (var row in s.Rows.Where(r => wanted.Contains(r.Record.Id)))
            {
                var data = (await cache.Store.GetMetricsAsync(row.Record.Id, cancellationToken).ConfigureAwait(false)).Where(p => p.Name == metric).ToList();
                var x = data.Select(p => (double)p.Step).ToArray();
                var y = data.Select(p => p.Value).ToArray();
                var keep = Downsampler.MinMax(x, y, budget);
                series.Add(new { label = $"{row.Record.Id} {row.Params}", id = row.Record.Id, n = data.Count, x = keep.Select(i => x[i]), y = Json.Finite(keep.Select(i => y[i])) });
            }
            return Results.Json(new { names, metric, mode, series });
        }
        var key = $"curves|{metric}|{by}|{budget}";
        if (!s.Memo.TryGetValue(key, out var memo))
        {
            var completed = s.Records.Where(r => r.Status == TrialStatus.Completed).ToList();
            var groups = Summarizer.Group(completed, By(by));
            var perGroup = Math.Max(1, MaxCurveTrials / Math.Max(1, groups.Count));
            var list = new List<object>();
            var used = 0;
            foreach (var (groupKey, trials) in groups)
            {
                var series = new List<IReadOnlyList<(long, double)>>();
                foreach (var trial in trials.Take(perGroup))
                {
                    var data = await cache.Store.GetMetricsAsync(trial.Id, cancellationToken).ConfigureAwait(false);
                    series.Add(data.Where(p => p.Name == metric).Select(p => (p.Step, p.Value)).ToList());
                }
                used += series.Count;
                var curve = Curve.Aggregate(groupKey, metric, series);
                var x = curve.Steps.Select(v => (double)v).ToArray();
                var keep = Downsampler.MinMax(x, curve.Mean, budget);
                list.Add(new
                {
                    label = groupKey.ToString(),
                    trials = series.Count,
                    x = keep.Select(i => x[i]),
                    mean = Json.Finite(keep.Select(i => curve.Mean[i])),
                    std = Json.Finite(keep.Select(i => curve.Std[i])),
                });
            }
            memo = new { names, metric, mode = "mean", by = By(by), used, completed = completed.Count, series = list };
            s.Memo[key] = memo;
        }
        return Results.Json(memo);
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
    private static async Task<IResult> ScatterAsync(HttpContext http, string name, StudyCache cache, string? metric, string? param, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? PrimaryMetric(s);
        param = Blank(param) ?? Varying(s).FirstOrDefault() ?? s.ParamNames.FirstOrDefault();
        if (metric is null || param is null)
        {
            return Results.Json(new { metric, param, points = Array.Empty<object>() });
        }
        var key = $"scatter|{metric}|{param}";
        if (s.Memo.TryGetValue(key, out var memo))
        {
            return Results.Json(memo);
        }
        var rows = s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is not null && r.Params.Contains(param)).ToList();
        var axis = Axis.Of(param, rows.Select(r => r.Params[param]));
        var result = new
        {
            metric,
            param,
            goal = Goal(s, metric),
            categories = axis.Categories,
            matched = rows.Count,
            points = Sample(rows, MaxPoints).Select(r => new { x = axis.Position(r.Params[param]), y = Json.Finite(r.Number(metric)!.Value), id = r.Record.Id }).ToList(),
        };
        s.Memo[key] = result;
        return Results.Json(result);
    }

    /// <summary>Parallel coordinates: one line per completed trial across the varying parameters, then the metric.</summary>
    private static async Task<IResult> ParallelAsync(HttpContext http, string name, StudyCache cache, string? metric, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        metric = Blank(metric) ?? PrimaryMetric(s);
        if (metric is null)
        {
            return Results.Json(new { metric, axes = Array.Empty<object>(), lines = Array.Empty<object>() });
        }
        if (s.Memo.TryGetValue("parallel|" + metric, out var memo))
        {
            return Results.Json(memo);
        }
        var rows = Sample(s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is not null).ToList(), MaxPoints).ToList();
        var axes = Varying(s).Select(p => Axis.Of(p, rows.Select(r => r.Params.TryGetValue(p, out var v) ? v : null))).ToList();
        axes.Add(Axis.Of(metric, rows.Select(r => (object?)r.Number(metric))));
        var result = new
        {
            metric,
            goal = Goal(s, metric),
            axes = axes.Select(a => new { name = a.Name, categories = a.Categories, min = Json.Finite(a.Min), max = Json.Finite(a.Max) }).ToList(),
            lines = rows.Select(r => new
            {
                id = r.Record.Id,
                v = axes.Take(axes.Count - 1).Select(a => a.Position(r.Params.TryGetValue(a.Name, out var v) ? v : null)).Append(Json.Finite(r.Number(metric)!.Value)).ToList(),
            }).ToList(),
        };
        s.Memo["parallel|" + metric] = result;
        return Results.Json(result);
    }
}
