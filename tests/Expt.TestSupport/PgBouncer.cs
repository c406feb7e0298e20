using Npgsql;

namespace Expt.TestSupport;

/// <summary>
/// The PgBouncer of the test run, in transaction mode in front of the shared PostgreSQL server (<c>./test.sh</c> starts
/// it with <c>tests/scripts/pgbouncer.sh</c> and puts its connection string in <c>EXPT_TEST_PGBOUNCER</c>).
/// </summary>
public static class PgBouncer
{
    /// <summary>PgBouncer's connection string; fails loudly when it is missing, so CI cannot skip these tests.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("EXPT_TEST_PGBOUNCER")
        ?? throw new InvalidOperationException("EXPT_TEST_PGBOUNCER is not set: run the tests with ./test.sh, which starts PgBouncer (tests/scripts/pgbouncer.sh)");

    /// <summary>Creates an empty schema on the shared server and returns settings that reach it through PgBouncer.</summary>
    public static async Task<NpgsqlConnectionStringBuilder> NewSchemaAsync(string prefix = "b_")
    {
        var direct = await Postgres.NewSchemaAsync(prefix);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = direct.SearchPath };
    }

    /// <summary>
    /// A fresh, empty store (its own schema): <c>Store</c> reaches it through PgBouncer (for --store, naming the pooler),
    /// <c>Direct</c> reaches the server itself (for the test's own queries).
    /// </summary>
    public static async Task<(string Store, string Direct)> NewStoreAsync()
    {
        var schema = await NewSchemaAsync("e2e_b_");
        return (schema.ConnectionString + ";PgBouncer=true", new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { SearchPath = schema.SearchPath }.ConnectionString);
    }
}
