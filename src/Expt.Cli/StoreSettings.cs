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

    /// <summary>
    /// Check a SQLite file's structure as it is opened whatever its size (a run or a worker, about to write for a long
    /// time); else only small files are checked at opening (every command), and <c>expt doctor</c> checks any.
    /// </summary>
    public bool CheckIntegrity { get; init; }

    /// <summary>Open a store marked damaged, unchecked: what <c>expt doctor</c> does to look at it.</summary>
    public bool Inspect { get; init; }
}
