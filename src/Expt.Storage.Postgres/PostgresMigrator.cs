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
        await RefuseForeignAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
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
            throw new StoreIncompatibleException($"the store's schema (version {current}) is newer than this Expt understands (version {latest[^1].Version}); upgrade Expt");
        }
        foreach (var (version, sql) in latest.Where(s => s.Version > current))
        {
            using var apply = new NpgsqlCommand(sql + "; INSERT INTO schema_migrations (version) VALUES (" + version.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")", connection, transaction);
            await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The server's own schemas (<c>information_schema</c>, <c>pg_catalog</c>, <c>pg_*</c>) are never written, and a
    /// schema with tables of its own and none of Expt's belongs to another program: Expt adds nothing to either.
    /// </summary>
    private static async Task RefuseForeignAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT current_schema(),
                   array(SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname LIMIT 1000)
            """;
        using var command = new NpgsqlCommand(Sql, connection, transaction);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var schema = reader.IsDBNull(0) ? null : reader.GetString(0);
        var tables = reader.GetFieldValue<string[]>(1);
        if (schema is null)
        {
            return; // no schema of the search path exists: creating the first table fails with the server's own message
        }
        if (schema is "information_schema" or "pg_catalog" || schema.StartsWith("pg_", StringComparison.Ordinal))
        {
            throw new StoreIncompatibleException($"the schema {schema} is PostgreSQL's own; Expt writes nothing there: name a schema of its own (?search_path=expt in the URL)") { WrongTarget = true };
        }
        if (tables.Contains("studies") || tables.All(t => t == "schema_migrations"))
        {
            return;
        }
        var shown = string.Join(", ", tables.Take(5)) + (tables.Length > 5 ? $", ... ({tables.Length} in all)" : string.Empty);
        throw new StoreIncompatibleException($"the schema {schema} holds another program's tables ({shown}), not an Expt store; Expt adds nothing to it: name a schema of its own (?search_path=expt in the URL)") { WrongTarget = true };
    }

    /// <summary>Sets the schema for this transaction only (behind PgBouncer in transaction mode, where a session setting would not follow).</summary>
    public static async Task SetLocalSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string searchPath, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT set_config('search_path', @p, true)", connection, transaction);
        command.Parameters.AddWithValue("p", searchPath);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
