namespace Expt.Storage.Sqlite;

/// <summary>How a SQLite store is opened.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>When the file's structure is checked as it is opened.</summary>
    public SqliteIntegrity Integrity { get; init; } = SqliteIntegrity.WhenSmall;

    /// <summary>The largest file checked at every opening under <see cref="SqliteIntegrity.WhenSmall"/> (64 MiB: about 0.1 s).</summary>
    public long CheckLimitBytes { get; init; } = 64L << 20;
}
