using Expt.Storage.Sqlite;

namespace Expt.Dashboard.Tests;

/// <summary>The dashboard API over a SQLite file.</summary>
public sealed class SqliteDashboardApiTests : DashboardApiTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-dash-").FullName;

    protected override async Task<Storage.IExptStore> OpenStoreAsync() => await SqliteStore.OpenAsync(Path.Combine(_directory, "expt.db"));

    protected override Task CloseStoreAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
