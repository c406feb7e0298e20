using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>
/// Applies the embedded, numbered migration scripts (NNNN_name.sql) in one transaction under an advisory lock, so
/// workers starting together against a new database never apply a script twice.
/// </summary>
internal static class PostgresMigrator
{
    // Any fixed number: it only has to be the same for every Expt process.
    private const long LockKey = 0x45787074_0001;

    public static IReadOnlyList<(int Version, string Sql)> Scripts() => MigrationScripts.Load(typeof(PostgresMigrator).Assembly);

    public static async Task MigrateAsync(NpgsqlConnection connection, string? localSchema, CancellationToken cancellationToken)
    {
        var latest = Scripts();
        using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (localSchema is not null)
        {
            await SetLocalSchemaAsync(connection, transaction, localSchema, cancellationToken).ConfigureAwait(false);
        }
        using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k); CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())", connection, transaction))
        {
            command.Parameters.AddWithValue("k", LockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        long current;
        using (var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection, transaction))
        {
            current = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (current > (latest.Count == 0 ? 0 : latest[^1].Version))
        {
            throw new InvalidOperationException($"the store's schema (version {current}) is newer than this Expt understands; upgrade Expt");
        }
        foreach (var (version, sql) in latest.Where(s => s.Version > current))
        {
            using var apply = new NpgsqlCommand(sql + "; INSERT INTO schema_migrations (version) VALUES (" + version.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")", connection, transaction);
            await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the schema for this transaction only (behind PgBouncer in transaction mode, where a session setting would not follow).</summary>
    public static async Task SetLocalSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string searchPath, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT set_config('search_path', @p, true)", connection, transaction);
        command.Parameters.AddWithValue("p", searchPath);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
