using Expt.Storage.Postgres;
using Npgsql;

namespace Expt.Storage.Tests;

/// <summary>
/// Fresh stores reached through the PgBouncer of the test run, in transaction mode (each store its own schema on the
/// shared server, dropped afterwards): every transaction may land on a different server connection.
/// </summary>
public sealed class PgBouncerStoreFactory : IStoreFactory
{
    private readonly List<string> _schemas = [];
    private NpgsqlConnectionStringBuilder? _current;

    public async Task<IExptStore> CreateAsync(TimeProvider time)
    {
        await NewLocationAsync();
        return await OpenAnotherAsync(time);
    }

    public async Task NewLocationAsync()
    {
        _current = await TestSupport.PgBouncer.NewSchemaAsync();
        _schemas.Add(_current.SearchPath!);
    }

    // Straight to the server, in the store's schema.
    public Task ExecuteAsync(string sql) => TestSupport.Postgres.ExecuteAsync(
        new NpgsqlConnectionStringBuilder(TestSupport.Postgres.ConnectionString) { SearchPath = _current!.SearchPath }.ConnectionString, sql);

    public async Task<IExptStore> OpenAnotherAsync(TimeProvider time) =>
        await PostgresStore.OpenAsync(_current!, Path.Combine(Path.GetTempPath(), "expt-pg-runs"), new PostgresStoreOptions { PgBouncer = true }, time);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var schema in _schemas)
        {
            await PostgresStoreFactory.DropSchemaAsync(schema);
        }
    }
}
