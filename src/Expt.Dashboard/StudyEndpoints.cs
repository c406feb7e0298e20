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
        study.MapGet(string.Empty, Study);
        study.MapGet("/best", Best);
        study.MapGet("/trials", Trials);
        study.MapGet("/summary", Summary);
        study.MapGet("/curves", CurvesAsync);
        study.MapGet("/scatter", Scatter);
        study.MapGet("/parallel", ParallelCoordinates);
        study.MapGet("/groups", Groups);
        study.MapGet("/images", ImagesAsync);
        study.MapGet("/adaptive", AdaptiveAsync);
    }

    private static readonly object SnapshotKey = new();

    /// <summary>The study the route group's filter found for this request.</summary>
    private static StudySnapshot Snapshot(HttpContext http) => (StudySnapshot)http.Items[SnapshotKey]!;

    internal static IResult NotFound(string what) => ApiError.NotFound(what);

    internal static IResult BadRequest(string what) => ApiError.BadRequest(what);

    private static Dictionary<string, int> Counts(IReadOnlyDictionary<TrialStatus, int> counts) =>
        Enum.GetValues<TrialStatus>().Where(s => counts.GetValueOrDefault(s) > 0).ToDictionary(s => s.ToName(), s => counts[s], StringComparer.Ordinal);

    /// <summary>A study in the list of studies.</summary>
    internal sealed record StudyListItem(string Name, string Id, string? Description, IReadOnlyList<string> Tags, Dictionary<string, int> Counts, int Total,
        DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Finished, double? Duration);

    /// <summary>A declared objective: <c>min</c> or <c>max</c>.</summary>
    internal sealed record ObjectiveView(string Metric, string Goal);

    /// <summary>A study's page head: what it is, what its trials have, how each metric is ranked, spec and provenance.</summary>
    internal sealed record StudyView(string Name, string Id, string? Description, IReadOnlyList<string> Tags, string Seed, DateTimeOffset Created,
        Dictionary<string, int> Counts, int Total, IReadOnlyList<string> Params, IReadOnlyList<string> Varying, IReadOnlyList<string> Results,
        IReadOnlyList<string> Metrics, Dictionary<string, string> Goals, IReadOnlyList<ObjectiveView> Objectives, object? Spec, object? Provenance, bool Actions)
    {
        /// <summary>How the trials' energy was estimated (the most common method), or null when none was.</summary>
        public string? EnergyMethod { get; init; }
    }

    /// <summary>The best completed trial by the study's primary metric (all null but the metric when there is none).</summary>
    internal sealed record BestView(string? Metric, string? Goal = null, double? Value = null, string? Trial = null, string? Params = null);

    private static async Task<IResult> StudiesAsync(StudyCache cache, CancellationToken cancellationToken)
    {
        var studies = await cache.Store.ListStudiesAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(studies.OrderByDescending(s => s.Study.Created).Select(s => new StudyListItem(
            s.Study.Name, s.Study.Id, s.Study.Description, s.Study.Tags, Counts(s.Counts), s.Total, s.Study.Created, s.FirstStarted, s.LastFinished,
            s.FirstStarted is { } a && s.LastFinished is { } b && b > a ? (b - a).TotalSeconds : null)));
    }

    private static IResult Study(HttpContext http, DashboardOptions options)
    {
        var s = Snapshot(http);
        return Results.Json(new StudyView(
            s.Study.Name, s.Study.Id, s.Study.Description, s.Study.Tags, s.Study.Seed.ToString(CultureInfo.InvariantCulture), s.Study.Created,
            Counts(s.Counts), s.Rows.Length, s.ParamNames, s.Varying, s.ResultNames, s.Metrics,
            s.Metrics.ToDictionary(m => m, m => Goal(s, m), StringComparer.Ordinal),
            [.. s.Objectives.Items.Select(o => new ObjectiveView(o.Metric, o.Goal == Analysis.Goal.Maximize ? "max" : "min"))],
            Json.Redacted(s.Study.SpecJson), Json.Redacted(s.Study.ProvenanceJson), options.AllowActions) { EnergyMethod = s.EnergyMethod is { Length: > 0 } energy ? energy : null });
    }

    /// <summary>
    /// Whether higher is better: as the study declares, else lower, exactly as the CLI decides, so that expt summary
    /// and the dashboard never rank one study differently.
    /// </summary>
    internal static string Goal(StudySnapshot s, string metric) => s.Objectives.Resolve(metric) == Analysis.Goal.Maximize ? "max" : "min";

    private static IResult Best(HttpContext http)
    {
        var s = Snapshot(http);
        if (s.PrimaryMetric is not { } metric)
        {
            return Results.Json(new BestView(null));
        }
        var goal = Goal(s, metric);
        var best = s.Rows.Where(r => r.Record.Status == TrialStatus.Completed && r.Number(metric) is { } v && double.IsFinite(v))
            .OrderBy(r => goal == "max" ? -r.Number(metric)!.Value : r.Number(metric)!.Value).FirstOrDefault();
        return Results.Json(new BestView(metric, goal, best?.Number(metric), best?.Record.Id, best?.Params.ToString()));
    }

    /// <summary>An empty query value (<c>?metric=</c>) means "not given".</summary>
    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IReadOnlyList<string>? By(string? by) =>
        string.IsNullOrWhiteSpace(by) ? null : by.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
