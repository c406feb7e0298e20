using Expt.Storage.Postgres;
using Npgsql;

namespace Expt.Storage.Tests;

/// <summary>
/// Fresh stores on the PostgreSQL server that <c>./test.sh</c> starts (its connection string is in
/// <c>EXPT_TEST_POSTGRES</c>): each store is its own schema, dropped afterwards.
/// </summary>
public sealed class PostgresStoreFactory : IStoreFactory
{
    private readonly List<string> _schemas = [];
    private NpgsqlConnectionStringBuilder? _current;

    /// <summary>The test server's connection string; fails loudly when it is missing, so CI cannot skip PostgreSQL.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("EXPT_TEST_POSTGRES")
        ?? throw new InvalidOperationException("EXPT_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts a PostgreSQL server (tests/scripts/postgres.sh)");

    /// <summary>Creates an empty schema and returns connection settings that use it.</summary>
    public static async Task<NpgsqlConnectionStringBuilder> NewSchemaAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema };
    }

    /// <summary>Drops a schema made by <see cref="NewSchemaAsync"/>.</summary>
    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<IExptStore> CreateAsync(TimeProvider time)
    {
        _current = await NewSchemaAsync();
        _schemas.Add(_current.SearchPath!);
        return await OpenAnotherAsync(time);
    }

    public async Task<IExptStore> OpenAnotherAsync(TimeProvider time) =>
        await PostgresStore.OpenAsync(_current!, Path.Combine(Path.GetTempPath(), "expt-pg-runs"), time);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var schema in _schemas)
        {
            await DropSchemaAsync(schema);
        }
    }
}
