using Expt.Adaptive;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// An adaptive study's decisions: a race's survivors and eliminated points, or where sequential stopping stands.
internal static partial class StudyEndpoints
{
    /// <summary>One point of an adaptive study.</summary>
    internal sealed record AdaptivePointView(string Label, string Params, string State, string Status, int Completed, int Trials, double? Mean,
        int? Round, double? PValue, string? Reason, bool Best);

    /// <summary>An adaptive study's state (<see cref="Mode"/> null for a study with fixed replications).</summary>
    internal sealed record AdaptiveView(string? Mode, string? Metric = null, string? Headline = null, bool Finished = false, int Trials = 0, int FullCost = 0,
        IReadOnlyList<AdaptivePointView>? Points = null);

    private static async Task<IResult> AdaptiveAsync(HttpContext http, StudyCache cache, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        if (AdaptiveRules.For(s.Study) is null)
        {
            return Results.Json(new AdaptiveView(null));
        }
        var decisions = await cache.Store.GetPointDecisionsAsync(s.Study.Id, cancellationToken).ConfigureAwait(false);
        var report = AdaptiveReport.For(s.Study, s.Records, decisions)!;
        var points = report.Points
            .OrderBy(p => p.Decision is null or { State: PointState.Survivor } ? 0 : 1).ThenByDescending(p => p.Decision?.Round ?? int.MaxValue)
            .Select(p => new AdaptivePointView(p.Params.ToString(), p.Params.ToFlatJson(), p.Decision?.StateName ?? "open", report.StatusOf(p), p.Completed, p.Trials,
                double.IsFinite(p.Stats.Mean) ? p.Stats.Mean : null, p.Decision?.Round, p.Decision?.PValue is { } pv && double.IsFinite(pv) ? pv : null, p.Decision?.Reason,
                ReferenceEquals(p, report.Best)))
            .ToList();
        return Results.Json(new AdaptiveView(report.Plan.Race is null ? "sequential" : "race", report.Points.FirstOrDefault()?.Metric, report.Headline, report.Finished,
            report.Trials, report.FullCost, points));
    }
}
