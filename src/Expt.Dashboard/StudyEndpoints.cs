using System.Globalization;
using Expt.Analysis;
using Expt.Expressions;
using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Expt.Dashboard;

/// <summary>The studies list and everything on a study's page: trials table, summary, charts' data.</summary>
internal static class StudyEndpoints
{
    public const int MaxPageSize = 500;

    /// <summary>Most trials whose step metrics are read to draw one mean ± std chart.</summary>
    public const int MaxCurveTrials = 2000;

    /// <summary>Most points in a scatter or parallel-coordinates view (evenly sampled beyond).</summary>
    public const int MaxPoints = 5000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/studies", StudiesAsync);
        app.MapGet("/api/studies/{name}", StudyAsync);
        app.MapGet("/api/studies/{name}/best", BestAsync);
        app.MapGet("/api/studies/{name}/trials", TrialsAsync);
        app.MapGet("/api/studies/{name}/summary", SummaryAsync);
        app.MapGet("/api/studies/{name}/curves", CurvesAsync);
        app.MapGet("/api/studies/{name}/scatter", ScatterAsync);
        app.MapGet("/api/studies/{name}/parallel", ParallelAsync);
        app.MapGet("/api/studies/{name}/groups", GroupsAsync);
        app.MapGet("/api/studies/{name}/images", ImagesAsync);
    }

    internal static IResult NotFound(string what) => Results.Json(new { error = what }, statusCode: StatusCodes.Status404NotFound);

    internal static IResult BadRequest(string what) => Results.Json(new { error = what }, statusCode: StatusCodes.Status400BadRequest);

    private static Dictionary<string, int> Counts(IReadOnlyDictionary<TrialStatus, int> counts) =>
        Enum.GetValues<TrialStatus>().Where(s => counts.GetValueOrDefault(s) > 0).ToDictionary(s => s.ToName(), s => counts[s], StringComparer.Ordinal);

    private static async Task<IResult> StudiesAsync(StudyCache cache, CancellationToken cancellationToken)
    {
        var studies = await cache.Store.ListStudiesAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(studies.OrderByDescending(s => s.Study.Created).Select(s => new
        {
            name = s.Study.Name,
            id = s.Study.Id,
            description = s.Study.Description,
            tags = s.Study.Tags,
            counts = Counts(s.Counts),
            total = s.Total,
            created = s.Study.Created,
            started = s.FirstStarted,
            finished = s.LastFinished,
            duration = s.FirstStarted is { } a && s.LastFinished is { } b && b > a ? (b - a).TotalSeconds : (double?)null,
        }));
    }

    private static async Task<IResult> StudyAsync(string name, StudyCache cache, DashboardOptions options, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
        return Results.Json(new
        {
            name = s.Study.Name,
            id = s.Study.Id,
            description = s.Study.Description,
            tags = s.Study.Tags,
            seed = s.Study.Seed.ToString(CultureInfo.InvariantCulture),
            created = s.Study.Created,
            counts = Counts(s.Counts),
            total = s.Rows.Length,
            @params = s.ParamNames,
            varying = Varying(s),
            results = s.ResultNames,
            metrics = s.Metrics,
            goals = s.Metrics.ToDictionary(m => m, m => Goal(s, m), StringComparer.Ordinal),
            objectives = DeclaredObjectives(s).Items.Select(o => new { metric = o.Metric, goal = o.Goal == Analysis.Goal.Maximize ? "max" : "min" }).ToList(),
            spec = Json.Redacted(s.Study.SpecJson),
            provenance = Json.Redacted(s.Study.ProvenanceJson),
            actions = options.AllowActions,
        });
    }

    /// <summary>Parameters that take more than one value in the study: the ones worth a chart axis.</summary>
    private static List<string> Varying(StudySnapshot s) => (List<string>)s.Memo.GetOrAdd("varying", _ =>
        s.ParamNames.Where(p => s.Rows.Select(r => r.Params.TryGetValue(p, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null).Distinct().Skip(1).Any()).ToList());

    /// <summary>The study's declared objectives (its <c>objectives:</c> key), read once per snapshot.</summary>
    private static Analysis.Objectives DeclaredObjectives(StudySnapshot s) =>
        (Analysis.Objectives)s.Memo.GetOrAdd("objectives", _ => Analysis.Objectives.FromSpecJson(s.Study.SpecJson));

    /// <summary>
    /// Whether higher is better: as the study declares, else lower, exactly as the CLI decides, so that expt summary
    /// and the dashboard never rank one study differently.
    /// </summary>
    internal static string Goal(StudySnapshot s, string metric) => DeclaredObjectives(s).Resolve(metric) == Analysis.Goal.Maximize ? "max" : "min";

    /// <summary>The metric ranked by default: the study's first objective, else its first metric.</summary>
    private static string? PrimaryMetric(StudySnapshot s) =>
        DeclaredObjectives(s).Primary?.Metric is { } declared && s.Metrics.Contains(declared) ? declared : s.Metrics.FirstOrDefault();

    private static async Task<IResult> BestAsync(string name, StudyCache cache, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
        if (s.Metrics.Count == 0)
        {
            return Results.Json(new { metric = (string?)null });
        }
        var metric = PrimaryMetric(s)!;
        var goal = Goal(s, metric);
        var best = s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is { } v && double.IsFinite(v))
            .OrderBy(r => goal == "max" ? -r.Number(metric)!.Value : r.Number(metric)!.Value).FirstOrDefault();
        return Results.Json(new { metric, goal, value = best?.Number(metric), trial = best?.Record.Id, @params = best?.Params.ToString() });
    }

    /// <summary>The rows of the table: filtered, sorted, one page; the order is kept for the snapshot so paging is instant.</summary>
    private static async Task<IResult> TrialsAsync(string name, StudyCache cache, string? status, string? where, string? q, string? sort, bool? desc, int? page, int? size, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
        int[] order;
        try
        {
            order = Order(s, status, where, q, sort, desc ?? false);
        }
        catch (FormatException ex)
        {
            return BadRequest(ex.Message);
        }
        var pageSize = Math.Clamp(size ?? 50, 1, MaxPageSize);
        var pages = Math.Max(1, (order.Length + pageSize - 1) / pageSize);
        var current = Math.Clamp(page ?? 1, 1, pages);
        var rows = order.Skip((current - 1) * pageSize).Take(pageSize).Select(i => Row(s.Rows[i])).ToList();
        return Results.Json(new { total = s.Rows.Length, matched = order.Length, page = current, pages, size = pageSize, rows, version = s.Version });
    }

    internal static object Row(TrialResult r) => new
    {
        id = r.Record.Id,
        status = r.Record.Status.ToName(),
        replicate = r.Record.Replicate,
        attempts = r.Record.Attempts,
        duration = r.Record.Duration?.TotalSeconds,
        started = r.Record.Started,
        finished = r.Record.Finished,
        host = r.Record.Host,
        @params = r.Params.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        results = r.Results.ToDictionary(p => p.Key, p => p.Value is string { Length: > 120 } text ? text[..120] + "…" : p.Value, StringComparer.Ordinal),
        error = FirstLine(r.Record.Error),
    };

    private static string? FirstLine(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var line = text.Split('\n', 2)[0].TrimEnd();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    internal static int[] Order(StudySnapshot s, string? status, string? where, string? q, string? sort, bool desc)
    {
        var key = $"order|{status}|{where}|{q}|{sort}|{desc}";
        if (s.Memo.TryGetValue(key, out var memo))
        {
            return (int[])memo;
        }
        var statuses = new HashSet<TrialStatus>();
        foreach (var part in (status ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TrialStatusNames.TryParse(part, out var st))
            {
                throw new FormatException($"status: unknown status '{part}' (expected pending, running, completed, failed, timeout or cancelled)");
            }
            statuses.Add(st);
        }
        WhereExpression? expression = null;
        if (!string.IsNullOrWhiteSpace(where))
        {
            try
            {
                expression = WhereExpression.Parse(where);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new FormatException($"where: {ex.Message}", ex);
            }
        }
        var text = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        var selected = new List<int>(s.Rows.Length);
        for (var i = 0; i < s.Rows.Length; i++)
        {
            var row = s.Rows[i];
            if (statuses.Count > 0 && !statuses.Contains(row.Record.Status))
            {
                continue;
            }
            if (text is not null && !row.Record.Id.StartsWith(text, StringComparison.OrdinalIgnoreCase)
                && !row.Params.ToString().Contains(text, StringComparison.OrdinalIgnoreCase)
                && !(row.Record.Error?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                continue;
            }
            if (expression is not null && !expression.Matches(row.Record, row.Params, row.Results))
            {
                continue;
            }
            selected.Add(i);
        }
        var order = selected.ToArray();
        if (!string.IsNullOrEmpty(sort) && sort != "seq")
        {
            Func<TrialResult, object?> value = sort switch
            {
                "id" => r => r.Record.Id,
                "status" => r => r.Record.Status.ToName(),
                "replicate" => r => (long)r.Record.Replicate,
                "attempts" => r => (long)r.Record.Attempts,
                "duration" => r => r.Record.Duration?.TotalSeconds,
                "started" => r => r.Record.Started?.UtcTicks,
                "finished" => r => r.Record.Finished?.UtcTicks,
                "host" => r => r.Record.Host,
                _ when sort.StartsWith("p.", StringComparison.Ordinal) => r => r.Params.TryGetValue(sort[2..], out var v) ? v : null,
                _ when sort.StartsWith("r.", StringComparison.Ordinal) => r => r.Results.GetValueOrDefault(sort[2..]),
                _ => throw new FormatException($"sort: unknown column '{sort}' (expected id, status, replicate, attempts, duration, started, finished, host, p.NAME or r.NAME)"),
            };
            var keys = order.Select(i => value(s.Rows[i])).ToArray();
            var positions = Enumerable.Range(0, order.Length).ToArray();
            Array.Sort(positions, (a, b) =>
            {
                var c = Numbers.Compare(keys[a], keys[b]);
                if (desc && keys[a] is not null && keys[b] is not null)
                {
                    c = -c; // missing values stay last either way
                }
                return c != 0 ? c : a.CompareTo(b);
            });
            order = positions.Select(p => order[p]).ToArray();
        }
        else if (desc)
        {
            Array.Reverse(order);
        }
        if (s.Memo.Count > 64)
        {
            s.Memo.Clear();
        }
        s.Memo[key] = order;
        return order;
    }

    /// <summary>An empty query value (<c>?metric=</c>) means "not given".</summary>
    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IReadOnlyList<string>? By(string? by) =>
        string.IsNullOrWhiteSpace(by) ? null : by.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<IResult> SummaryAsync(string name, StudyCache cache, string? metric, string? by, string? goal, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
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
    private static async Task<IResult> CurvesAsync(string name, StudyCache cache, DashboardOptions options, string? metric, string? by, string? mode, string? ids, int? points, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
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
    private static async Task<IResult> ScatterAsync(string name, StudyCache cache, string? metric, string? param, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
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
    private static async Task<IResult> ParallelAsync(string name, StudyCache cache, string? metric, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
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

    /// <summary>Groups side by side (each a where-expression): counts and statistics of every metric, and A vs B tests.</summary>
    private static async Task<IResult> GroupsAsync(string name, StudyCache cache, HttpRequest request, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
        var texts = request.Query["g"].Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g!).ToList();
        if (texts.Count == 0)
        {
            return BadRequest("g: give one where-expression per group (?g=lr == 0.1&g=lr == 0.01)");
        }
        var groups = new List<(string Text, List<TrialResult> Rows)>();
        foreach (var text in texts)
        {
            try
            {
                var expression = WhereExpression.Parse(text);
                groups.Add((text, s.Rows.Where(r => expression.Matches(r.Record, r.Params, r.Results)).ToList()));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                return BadRequest($"g '{text}': {ex.Message}");
            }
        }
        static IEnumerable<double> Values(List<TrialResult> rows, string metric) =>
            rows.Where(r => r.Record.Status == TrialStatus.Completed).Select(r => r.Number(metric)).Where(v => v is not null).Select(v => v!.Value);
        return Results.Json(new
        {
            metrics = s.Metrics,
            groups = groups.Select(g => new
            {
                where = g.Text,
                trials = g.Rows.Count,
                counts = g.Rows.GroupBy(r => r.Record.Status).ToDictionary(x => x.Key.ToName(), x => x.Count(), StringComparer.Ordinal),
                stats = s.Metrics.ToDictionary(m => m, m =>
                {
                    var d = Descriptive.Of(Values(g.Rows, m));
                    return new { n = d.N, mean = Json.Finite(d.Mean), std = Json.Finite(d.Std), ciLow = Json.Finite(d.CiLow), ciHigh = Json.Finite(d.CiHigh), min = Json.Finite(d.Min), max = Json.Finite(d.Max) };
                }, StringComparer.Ordinal),
            }),
            comparison = groups.Count < 2 ? null : s.Metrics.ToDictionary(m => m, m =>
            {
                var c = GroupComparison.Of(Values(groups[0].Rows, m), Values(groups[1].Rows, m));
                return new { difference = Json.Finite(c.Difference), ciLow = Json.Finite(c.CiLow), ciHigh = Json.Finite(c.CiHigh), welchP = Json.Finite(c.WelchP), mannWhitneyP = Json.Finite(c.MannWhitneyP) };
            }, StringComparer.Ordinal),
        });
    }

    /// <summary>The most trials whose directories are looked through for images, images per group, and groups.</summary>
    internal const int ImageTrials = 500, ImagesPerGroup = 24, ImageGroups = 100;

    /// <summary>
    /// The image artifacts of the completed trials, grouped like the summary (ORruns' merged images): a grid per
    /// group. Bounded in trials looked at, images and groups; links are never followed, files are served by the
    /// trial file endpoint, which keeps every path inside its trial's directory.
    /// </summary>
    private static async Task<IResult> ImagesAsync(string name, StudyCache cache, string? by, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } s)
        {
            return NotFound($"no study named '{name}'");
        }
        by = Blank(by);
        var completed = s.Records.Where(t => t.Status == TrialStatus.Completed).OrderBy(t => t.Seq).ToList();
        var looked = completed.Take(ImageTrials).ToList();
        var groups = new List<object>();
        foreach (var (key, trials) in Summarizer.Group(looked, By(by)).Take(ImageGroups))
        {
            var images = new List<object>();
            var total = 0;
            foreach (var trial in trials.OrderBy(t => t.Replicate))
            {
                var directory = await TrialDirectories.LocalAsync(cache.Store, trial, cancellationToken).ConfigureAwait(false);
                foreach (var file in Execution.TrialFiles.List(directory, maxEntries: 1000).Entries
                    .Where(f => f.Kind == Execution.TrialFileKind.File && TrialEndpoints.IsImage(f.Path)))
                {
                    if (++total <= ImagesPerGroup)
                    {
                        images.Add(new
                        {
                            trial = trial.Id,
                            replicate = trial.Replicate,
                            path = file.Path,
                            url = $"/api/trials/{trial.Id}/files/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}",
                        });
                    }
                }
            }
            if (total > 0)
            {
                groups.Add(new { label = key.ToString(), @params = key.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), images, total });
            }
        }
        return Results.Json(new { by = By(by), groups, trials = looked.Count, completed = completed.Count });
    }
}
