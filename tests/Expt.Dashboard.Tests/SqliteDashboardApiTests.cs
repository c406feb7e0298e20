using Expt.Storage.Sqlite;

namespace Expt.Dashboard.Tests;

/// <summary>The dashboard API over a SQLite file.</summary>
public sealed class SqliteDashboardApiTests : DashboardApiTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-dash-").FullName;

    protected override async Task<Storage.IExptStore> OpenStoreAsync() => await SqliteStore.OpenAsync(Path.Combine(_directory, "expt.db"));

    protected override async Task ExecuteSqlAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "expt.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue("@" + name, value);
        }
        await command.ExecuteNonQueryAsync();
    }

    protected override Task CloseStoreAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
