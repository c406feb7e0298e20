using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

/// <summary>
/// Actions (retry, cancel) change the store, so a page on another site must not be able to trigger them through the
/// user's browser: they must be POSTs carrying this server's random CSRF value in a header, which only a script of
/// the dashboard's own origin can read (from <c>/api/session</c>), and must not come from another origin.
/// </summary>
internal sealed class Csrf
{
    public const string Header = "X-Expt-Csrf";

    public string Value { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    /// <summary>Null when the request may act; else why not.</summary>
    public string? Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var given = request.Headers[Header].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Value)))
        {
            return $"missing or wrong {Header} header";
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return "cross-origin request refused";
        }
        return null;
    }
}
