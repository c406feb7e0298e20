using System.Globalization;
using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Expt.Dashboard;

/// <summary>The studies list and everything on a study's page: trials table, summary, charts' data.</summary>
internal static partial class StudyEndpoints
{
    public const int MaxPageSize = 500;

    /// <summary>Most trials whose step metrics are read to draw one mean ± std chart.</summary>
    public const int MaxCurveTrials = 2000;

    /// <summary>Most points in a scatter or parallel-coordinates view (evenly sampled beyond).</summary>
    public const int MaxPoints = 5000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/studies", StudiesAsync);
        // Every page of one study: the study is looked up once, here, and a missing one is one 404 for all of them.
        var study = app.MapGroup("/api/studies/{name}").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var name = http.Request.RouteValues["name"] as string ?? string.Empty;
            var cache = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<StudyCache>(http.RequestServices);
            if (await cache.GetAsync(name, http.RequestAborted).ConfigureAwait(false) is not { } snapshot)
            {
                return NotFound($"no study named '{name}'");
            }
            http.Items[SnapshotKey] = snapshot;
            return await next(context).ConfigureAwait(false);
        });
        study.MapGet(string.Empty, StudyAsync);
        study.MapGet("/best", BestAsync);
        study.MapGet("/trials", TrialsAsync);
        study.MapGet("/summary", SummaryAsync);
        study.MapGet("/curves", CurvesAsync);
        study.MapGet("/scatter", ScatterAsync);
        study.MapGet("/parallel", ParallelAsync);
        study.MapGet("/groups", GroupsAsync);
        study.MapGet("/images", ImagesAsync);
    }

    private static readonly object SnapshotKey = new();

    /// <summary>The study the route group's filter found for this request.</summary>
    private static StudySnapshot Snapshot(HttpContext http) => (StudySnapshot)http.Items[SnapshotKey]!;

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

    private static async Task<IResult> StudyAsync(HttpContext http, string name, StudyCache cache, DashboardOptions options, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
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

    private static async Task<IResult> BestAsync(HttpContext http, string name, StudyCache cache, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
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

    /// <summary>An empty query value (<c>?metric=</c>) means "not given".</summary>
    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IReadOnlyList<string>? By(string? by) =>
        string.IsNullOrWhiteSpace(by) ? null : by.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
