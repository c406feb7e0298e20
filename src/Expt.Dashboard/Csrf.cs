using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

/// <summary>
/// Actions (retry, cancel) change the store, so a page on another site must not be able to trigger them through the
/// user's browser: they must be POSTs from the dashboard's own origin carrying a CSRF value that a script of that
/// origin reads from <c>/api/session</c>. The value is tied to the origin (an HMAC of it under this server's random
/// key), so a value read through one host name is worthless under another.
/// </summary>
internal sealed class Csrf
{
    public const string Header = "X-Expt-Csrf";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>The value for requests whose origin has this authority (host and port).</summary>
    public string ValueFor(string authority) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(authority.ToLowerInvariant())))[..48];

    /// <summary>Null when the request may act; else why not.</summary>
    public string? Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var origin = request.Headers.Origin.ToString();
        string authority;
        if (origin.Length > 0)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
            {
                return "cross-origin request refused";
            }
            authority = o.Authority;
        }
        else
        {
            // Browsers send Origin with every POST; a script (curl with the token) may not, and is judged by its Host.
            authority = request.Host.Value ?? string.Empty;
        }
        var given = request.Headers[Header].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(ValueFor(authority))))
        {
            return $"missing or wrong {Header} header (read it from /api/session of this address)";
        }
        return null;
    }
}
