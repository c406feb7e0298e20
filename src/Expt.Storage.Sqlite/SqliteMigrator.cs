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
                throw new StoreIncompatibleException($"the store's schema (version {current}) is newer than this Expt understands (version {latest[^1].Version}); upgrade Expt");
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

    /// <summary>
    /// A database with tables of its own and none of Expt's is another program's file, named by mistake: Expt adds
    /// nothing to it. (An empty file, or one with only Expt's migration table, is Expt's to set up.)
    /// </summary>
    public static void RefuseForeign(SqliteConnection connection)
    {
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT 1000";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        if (tables.Contains("studies") || tables.All(t => t == "schema_migrations"))
        {
            return;
        }
        var shown = string.Join(", ", tables.Take(5)) + (tables.Count > 5 ? $", ... ({tables.Count} in all)" : string.Empty);
        throw new StoreIncompatibleException($"{connection.DataSource} is a SQLite database of another program (tables: {shown}), not an Expt store; Expt adds nothing to it: give --store a file of its own") { WrongTarget = true };
    }
}
