using Expt.Storage.Postgres;
using Expt.TestSupport;
using Npgsql;

namespace Expt.Dashboard.Tests;

/// <summary>The dashboard API over the PostgreSQL server ./test.sh starts (a fresh schema per test).</summary>
public sealed class PostgresDashboardApiTests : DashboardApiTests
{
    private readonly string _runs = Directory.CreateTempSubdirectory("expt-dash-pg-").FullName;
    private string? _schema;

    private static string ConnectionString => Postgres.ConnectionString;

    protected override async Task<Storage.IExptStore> OpenStoreAsync()
    {
        var settings = await Postgres.NewSchemaAsync("d_");
        _schema = settings.SearchPath;
        return await PostgresStore.OpenAsync(settings, _runs);
    }

    protected override async Task ExecuteSqlAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = _schema }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task CloseStoreAsync()
    {
        await Postgres.DropSchemaAsync(_schema!);
        Directory.Delete(_runs, recursive: true);
    }
}
