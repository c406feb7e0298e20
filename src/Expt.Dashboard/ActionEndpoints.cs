using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Expt.Dashboard;

/// <summary>
/// Retry and cancel, only with <see cref="DashboardOptions.AllowActions"/>, and only as POSTs carrying the CSRF
/// header (see <see cref="Csrf"/>).
/// </summary>
internal static class ActionEndpoints
{
    private static readonly TrialStatus[] Retryable = [TrialStatus.Failed, TrialStatus.Timeout, TrialStatus.Cancelled];

    /// <summary>Whether actions are allowed, and the CSRF value for this origin when they are.</summary>
    internal sealed record SessionView(bool Actions, string? Csrf);

    /// <summary>How many trials went back to pending.</summary>
    internal sealed record RetryView(int Reset, string Message);

    /// <summary>How many trials were cancelled.</summary>
    internal sealed record CancelView(int Cancelled, string Message);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/session", (DashboardOptions options, Csrf csrf, HttpRequest request) =>
            Results.Json(new SessionView(options.AllowActions, options.AllowActions ? csrf.ValueFor(request.Host.Value ?? string.Empty) : null)));
        app.MapPost("/api/studies/{name}/retry", RetryStudyAsync);
        app.MapPost("/api/studies/{name}/cancel", CancelStudyAsync);
        app.MapPost("/api/trials/{id}/retry", RetryTrialAsync);
        app.MapPost("/api/trials/{id}/cancel", CancelTrialAsync);
    }

    private static IResult? Refuse(DashboardOptions options, Csrf csrf, HttpRequest request)
    {
        if (!options.AllowActions)
        {
            return ApiError.Forbidden("this dashboard is read-only (start it with --allow-actions to retry and cancel)");
        }
        return csrf.Check(request) is { } why ? ApiError.Forbidden(why) : null;
    }

    private static async Task<IResult> RetryStudyAsync(string name, StudyCache cache, DashboardOptions options, Csrf csrf, HttpRequest request, CancellationToken cancellationToken)
    {
        if (Refuse(options, csrf, request) is { } refused)
        {
            return refused;
        }
        if (await cache.Store.GetStudyAsync(name, cancellationToken).ConfigureAwait(false) is not { } study)
        {
            return StudyEndpoints.NotFound($"no study named '{name}'");
        }
        var count = await cache.Store.ResetAsync(study.Id, Retryable, null, cancellationToken).ConfigureAwait(false);
        cache.Invalidate(name);
        return Results.Json(new RetryView(count, $"{count} trials back to pending; run the study (or start a worker) to run them"));
    }

    private static async Task<IResult> CancelStudyAsync(string name, StudyCache cache, DashboardOptions options, Csrf csrf, HttpRequest request, CancellationToken cancellationToken)
    {
        if (Refuse(options, csrf, request) is { } refused)
        {
            return refused;
        }
        if (await cache.Store.GetStudyAsync(name, cancellationToken).ConfigureAwait(false) is not { } study)
        {
            return StudyEndpoints.NotFound($"no study named '{name}'");
        }
        var count = await cache.Store.CancelAsync(study.Id, null, cancellationToken).ConfigureAwait(false);
        cache.Invalidate(name);
        return Results.Json(new CancelView(count, $"{count} trials cancelled"));
    }

    private static async Task<IResult> RetryTrialAsync(string id, StudyCache cache, DashboardOptions options, Csrf csrf, HttpRequest request, CancellationToken cancellationToken)
    {
        if (Refuse(options, csrf, request) is { } refused)
        {
            return refused;
        }
        if (await TrialEndpoints.FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } trial)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var count = await cache.Store.ResetAsync(trial.StudyId, Retryable, [trial.Id], cancellationToken).ConfigureAwait(false);
        cache.Invalidate(trial.StudyName);
        return Results.Json(new RetryView(count, count == 1 ? "back to pending" : $"not retried: the trial is {trial.Status.ToName()}"));
    }

    private static async Task<IResult> CancelTrialAsync(string id, StudyCache cache, DashboardOptions options, Csrf csrf, HttpRequest request, CancellationToken cancellationToken)
    {
        if (Refuse(options, csrf, request) is { } refused)
        {
            return refused;
        }
        if (await TrialEndpoints.FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } trial)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var count = await cache.Store.CancelAsync(trial.StudyId, [trial.Id], cancellationToken).ConfigureAwait(false);
        cache.Invalidate(trial.StudyName);
        return Results.Json(new CancelView(count, count == 1 ? "cancelled" : $"not cancelled: the trial is {trial.Status.ToName()}"));
    }
}
