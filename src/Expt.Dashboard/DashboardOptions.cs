namespace Expt.Dashboard;

/// <summary>How the dashboard serves a store.</summary>
public sealed record DashboardOptions
{
    /// <summary>
    /// The access token every request must carry (a <c>?token=</c> link, which sets a cookie, or an
    /// <c>Authorization: Bearer</c> header); null serves without one, which only a loopback address may do.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// The names a request's Host header may carry besides loopback ones (<c>localhost</c>, <c>127.0.0.1</c>,
    /// <c>[::1]</c>), which are always allowed; <c>*</c> allows any. Anything else is refused with 400 before the token
    /// is even looked at, so a page on another site whose name resolves to this machine (DNS rebinding) gets nothing.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Show retry and cancel buttons and accept those requests (with CSRF protection); read-only otherwise.</summary>
    public bool AllowActions { get; init; }

    /// <summary>How often the live feed looks at the store for changes.</summary>
    public TimeSpan LivePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most points a chart series gets from the server; longer histories are downsampled to this.</summary>
    public int MaxSeriesPoints { get; init; } = 4000;
}
