namespace Expt.Cli;

/// <summary>Where the store is, as given on the command line (each falls back to its environment variable).</summary>
/// <param name="Location">--store: a SQLite path, a PostgreSQL URL or connection string.</param>
/// <param name="Credentials">--credentials: a password file for PostgreSQL.</param>
/// <param name="Artifacts">--artifacts: a shared directory for trial files.</param>
internal sealed record StoreSettings(string? Location, string? Credentials = null, string? Artifacts = null);
