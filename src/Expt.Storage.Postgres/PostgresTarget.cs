using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>Where a PostgreSQL store is, as <see cref="PostgresLocation.Parse"/> read it.</summary>
/// <param name="Connection">The connection settings.</param>
/// <param name="PgBouncer">
/// Whether PgBouncer (or another pooler) in transaction mode stands between Expt and the server: then nothing may
/// rely on a session (LISTEN, settings given at connection), see <see cref="PostgresStoreOptions.PgBouncer"/>.
/// </param>
public sealed record PostgresTarget(NpgsqlConnectionStringBuilder Connection, bool PgBouncer)
{
    /// <summary>The target as a connection string another Expt process reads back the same (the password as it is in <see cref="Connection"/>).</summary>
    public string ToLocation() => PgBouncer ? Connection.ConnectionString + ";PgBouncer=true" : Connection.ConnectionString;
}
