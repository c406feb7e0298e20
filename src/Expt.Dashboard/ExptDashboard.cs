using System.Net;
using Expt.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Expt.Dashboard;

/// <summary>
/// Puts the Expt dashboard into an ASP.NET Core application: <c>services.AddExptDashboard(store, options)</c>, then
/// <c>app.UseExptDashboard()</c>. <c>expt serve</c> does exactly this on Kestrel.
/// </summary>
public static class ExptDashboard
{
    /// <summary>Registers the dashboard's services over an open store (which the caller keeps and disposes).</summary>
    public static IServiceCollection AddExptDashboard(this IServiceCollection services, IExptStore store, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        services.AddRouting();
        // Stored results may hold NaN or infinities (Python writes them): sent as the strings "NaN", "Infinity",
        // "-Infinity", valid JSON either way, never a failed response.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
            // One naming convention for every machine-readable output: snake_case, as the CLI's --format json.
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        });
        services.AddSingleton(options);
        services.AddSingleton(store);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StudyCache(store, options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Csrf>();
        return services;
    }

    /// <summary>Adds the access check and the dashboard's pages and API to the pipeline.</summary>
    public static IApplicationBuilder UseExptDashboard(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<AccessGuard>();
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            StudyEndpoints.Map(endpoints);
            TrialEndpoints.Map(endpoints);
            ActionEndpoints.Map(endpoints);
            LiveEndpoints.Map(endpoints);
            PageEndpoints.Map(endpoints);
        });
        return app;
    }

    /// <summary>
    /// Loads the most recent studies (up to <paramref name="studies"/>) into the dashboard's memory, so the first page
    /// of a large study opens at once; <c>expt serve</c> runs it in the background as it starts.
    /// </summary>
    public static Task WarmUpAsync(IServiceProvider services, int studies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<StudyCache>().WarmUpAsync(studies, cancellationToken);
    }

    /// <summary>
    /// Why the dashboard may not listen on <paramref name="host"/> with these options, or null: any address but a
    /// loopback one is reachable by others, so it requires an access token.
    /// </summary>
    public static string? CheckBinding(string host, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var loopback = host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        return loopback || options.Token is { Length: > 0 } ? null : $"listening on {host} lets other machines in: it needs an access token (--token, or let expt serve generate one)";
    }
}
