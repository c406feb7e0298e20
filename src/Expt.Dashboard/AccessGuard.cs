using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Expt.Dashboard;

/// <summary>
/// Every request passes here first. With a token configured, a request must carry it: as <c>?token=</c> (the link
/// <c>expt serve</c> prints; answered with a cookie and a redirect to the same page without it), as that cookie, or
/// as <c>Authorization: Bearer</c>. Every answer gets headers that keep the page from being framed or sniffed.
/// </summary>
internal sealed class AccessGuard(RequestDelegate next, DashboardOptions options)
{
    public const string Cookie = "expt_token";

    public async Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers["X-Content-Type-Options"] = "nosniff";
        headers["X-Frame-Options"] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
        var request = context.Request;
        if (!HostAllowed(request.Host.Host, options.AllowedHosts))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"This Expt dashboard does not answer for the host '{request.Host.Host}' (expt serve --allowed-hosts names the ones it does).\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (options.Token is not { Length: > 0 } token)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (request.Query.TryGetValue("token", out var given) && Same(given.ToString(), token))
        {
            context.Response.Cookies.Append(Cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
            if (HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                // Take the token out of the address bar and the history.
                var query = new QueryBuilder(request.Query.Where(q => q.Key != "token").SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))));
                context.Response.Redirect(request.PathBase + request.Path + query.ToQueryString());
                return;
            }
            await next(context).ConfigureAwait(false);
            return;
        }
        var bearer = request.Headers.Authorization.ToString();
        if ((bearer.StartsWith("Bearer ", StringComparison.Ordinal) && Same(bearer["Bearer ".Length..].Trim(), token))
            || (request.Cookies.TryGetValue(Cookie, out var cookie) && Same(cookie, token)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("This Expt dashboard needs its access token: open the link expt serve printed (…/?token=…).\n", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Loopback names always, plus the configured ones (<c>*</c> for any); case-insensitive, without the port.</summary>
    internal static bool HostAllowed(string host, IReadOnlyList<string> allowed)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }
        var bare = host.Trim('[', ']');
        if (bare.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)))
        {
            return true;
        }
        return allowed.Any(a => a == "*" || string.Equals(a.Trim('[', ']'), bare, StringComparison.OrdinalIgnoreCase));
    }

    // Constant time, so the token cannot be guessed a character at a time from response times.
    private static bool Same(string? given, string expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
