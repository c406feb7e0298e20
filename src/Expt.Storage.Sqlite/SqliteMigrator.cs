using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

/// <summary>Applies the embedded, numbered migration scripts (NNNN_name.sql) in order, each in its own transaction.</summary>
internal static class SqliteMigrator
{
    public static IReadOnlyList<(int Version, string Sql)> Scripts() => MigrationScripts.Load(typeof(SqliteMigrator).Assembly);

    public static void Migrate(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }
        var latest = Scripts();
        // Checked before anything is applied, as the PostgreSQL store does: an older Expt must not touch a newer store.
        using (var newest = connection.CreateCommand())
        {
            newest.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
            var current = (long)newest.ExecuteScalar()!;
            if (current > (latest.Count == 0 ? 0 : latest[^1].Version))
            {
                throw new InvalidOperationException($"the store's schema (version {current}) is newer than this Expt understands; upgrade Expt");
            }
        }
        foreach (var (version, sql) in latest)
        {
            // The version is read inside the write transaction, so two processes opening a new store at once
            // cannot both apply the same script.
            using var transaction = connection.BeginTransaction();
            using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE version = @v";
            check.Parameters.AddWithValue("@v", version);
            if ((long)check.ExecuteScalar()! == 0)
            {
                using var apply = connection.CreateCommand();
                apply.Transaction = transaction;
                apply.CommandText = sql;
                apply.ExecuteNonQuery();
                using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, applied) VALUES (@v, @t)";
                record.Parameters.AddWithValue("@v", version);
                record.Parameters.AddWithValue("@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                record.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }
}
