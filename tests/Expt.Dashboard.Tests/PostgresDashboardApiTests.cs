using Expt.Storage.Postgres;
using Npgsql;

namespace Expt.Dashboard.Tests;

/// <summary>The dashboard API over the PostgreSQL server ./test.sh starts (a fresh schema per test).</summary>
public sealed class PostgresDashboardApiTests : DashboardApiTests
{
    private readonly string _runs = Directory.CreateTempSubdirectory("expt-dash-pg-").FullName;
    private string? _schema;

    private static string ConnectionString =>
        Environment.GetEnvironmentVariable("EXPT_TEST_POSTGRES")
        ?? throw new InvalidOperationException("EXPT_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts a PostgreSQL server");

    protected override async Task<Storage.IExptStore> OpenStoreAsync()
    {
        _schema = "d_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {_schema}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return await PostgresStore.OpenAsync(new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = _schema }, _runs);
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
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
        Directory.Delete(_runs, recursive: true);
    }
}
