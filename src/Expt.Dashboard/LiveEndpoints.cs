using System.Globalization;
using System.Text;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Expt.Dashboard;

/// <summary>
/// <c>/api/live</c>: server-sent events. The server looks at the store once per poll interval (the studies' counts,
/// or one study's) and sends a <c>change</c> event when they moved; the page then reloads what it shows. Works the
/// same on SQLite and PostgreSQL, and with workers on other machines.
/// </summary>
internal static class LiveEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/api/live", LiveAsync);

    private static async Task LiveAsync(HttpContext context, StudyCache cache, DashboardOptions options, TimeProvider time, IHostApplicationLifetime lifetime, string? study)
    {
        var response = context.Response;
        if (study is not null && await cache.Store.GetStudyAsync(study, context.RequestAborted).ConfigureAwait(false) is null)
        {
            // A feed of a study that is not there would stay open forever saying nothing: not found, as every other endpoint.
            await ApiError.NotFound($"no study named '{study}'").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        // The feed ends when the page goes away or the server stops (it would hold the shutdown up otherwise).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = ended.Token;
        string? last = null;
        var quietSince = time.GetTimestamp();
        try
        {
            await response.WriteAsync("retry: 2000\n\n", cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                var stamp = await StampAsync(cache.Store, study, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                if (stamp != last)
                {
                    if (last is not null)
                    {
                        await response.WriteAsync($"event: change\ndata: {stamp}\n\n", cancellationToken).ConfigureAwait(false);
                        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    last = stamp;
                    quietSince = time.GetTimestamp();
                }
                else if (time.GetElapsedTime(quietSince) > TimeSpan.FromSeconds(15))
                {
                    // A comment now and then keeps proxies from closing an idle stream.
                    await response.WriteAsync(": idle\n\n", cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    quietSince = time.GetTimestamp();
                }
                await Task.Delay(options.LivePollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
    }

    private static async Task<string> StampAsync(IExptStore store, string? study, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var s = new StringBuilder();
        if (study is null)
        {
            foreach (var summary in await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false))
            {
                s.Append(summary.Study.Id).Append(':');
                Append(s, summary.Counts);
            }
            return s.ToString();
        }
        if (await store.GetStudyAsync(study, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return "gone";
        }
        // Finished "since now": nothing to count, only the counts by status and the running trials are wanted.
        var progress = await store.GetProgressAsync(record.Id, now, cancellationToken).ConfigureAwait(false);
        Append(s, progress.Counts);
        // Running trials' heartbeats move while they log metrics: the page's live charts follow.
        s.Append(progress.Running.Count > 0 ? progress.Running.Max(r => r.Heartbeat ?? r.Started)?.UtcTicks.ToString(CultureInfo.InvariantCulture) : "-");
        return s.ToString();
    }

    private static void Append(StringBuilder s, IReadOnlyDictionary<TrialStatus, int> counts)
    {
        foreach (var status in Enum.GetValues<TrialStatus>())
        {
            s.Append(counts.GetValueOrDefault(status)).Append(',');
        }
        s.Append(';');
    }
}
