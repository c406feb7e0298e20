namespace Expt.Cli;

/// <summary>Where the store is, as given on the command line (each falls back to its environment variable).</summary>
/// <param name="Location">--store: a SQLite path, a PostgreSQL URL or connection string.</param>
/// <param name="Credentials">--credentials: a password file for PostgreSQL.</param>
/// <param name="Artifacts">--artifacts: a shared directory for trial files.</param>
internal sealed record StoreSettings(string? Location, string? Credentials = null, string? Artifacts = null)
{
    /// <summary>
    /// Operations at once on a PostgreSQL store, each on a connection of its own: 1 for workers and commands (a worker
    /// process then holds two connections with its listener), more where requests come in parallel (the dashboard).
    /// </summary>
    public int Operations { get; init; } = 1;

    /// <summary>
    /// Wait for a PostgreSQL server that is full (too many clients), starting or unreachable, instead of failing: what a
    /// worker does, holding nothing until it gets its connection.
    /// </summary>
    public bool WaitForServer { get; init; }
}
