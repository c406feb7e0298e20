namespace Expt.Dashboard;

/// <summary>How the dashboard serves a store.</summary>
public sealed record DashboardOptions
{
    /// <summary>
    /// The access token every request must carry (a <c>?token=</c> link, which sets a cookie, or an
    /// <c>Authorization: Bearer</c> header); null serves without one, which only a loopback address may do.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Show retry and cancel buttons and accept those requests (with CSRF protection); read-only otherwise.</summary>
    public bool AllowActions { get; init; }

    /// <summary>How often the live feed looks at the store for changes.</summary>
    public TimeSpan LivePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most points a chart series gets from the server; longer histories are downsampled to this.</summary>
    public int MaxSeriesPoints { get; init; } = 4000;
}
