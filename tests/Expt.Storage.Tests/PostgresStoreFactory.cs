using Expt.Storage.Postgres;
using Expt.TestSupport;
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

    /// <summary>The test server's connection string.</summary>
    public static string ConnectionString => TestSupport.Postgres.ConnectionString;

    /// <summary>Creates an empty schema and returns connection settings that use it.</summary>
    public static Task<NpgsqlConnectionStringBuilder> NewSchemaAsync() => TestSupport.Postgres.NewSchemaAsync();

    /// <summary>Drops a schema made by <see cref="NewSchemaAsync"/>.</summary>
    public static Task DropSchemaAsync(string schema) => TestSupport.Postgres.DropSchemaAsync(schema);

    public async Task<IExptStore> CreateAsync(TimeProvider time)
    {
        await NewLocationAsync();
        return await OpenAnotherAsync(time);
    }

    public async Task NewLocationAsync()
    {
        _current = await NewSchemaAsync();
        _schemas.Add(_current.SearchPath!);
    }

    // Straight to the server, in the store's schema.
    public Task ExecuteAsync(string sql) => TestSupport.Postgres.ExecuteAsync(
        new NpgsqlConnectionStringBuilder(TestSupport.Postgres.ConnectionString) { SearchPath = _current!.SearchPath }.ConnectionString, sql);

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
