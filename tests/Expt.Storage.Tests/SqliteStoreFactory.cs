using Expt.Storage.Sqlite;

namespace Expt.Storage.Tests;

public sealed class SqliteStoreFactory : IStoreFactory
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-store-").FullName;
    private string? _path;

    public async Task<IExptStore> CreateAsync(TimeProvider time)
    {
        await NewLocationAsync();
        return await SqliteStore.OpenAsync(_path!, time);
    }

    public Task NewLocationAsync()
    {
        _path = Path.Combine(_directory, $"{Guid.NewGuid():N}.db");
        return Task.CompletedTask;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<IExptStore> OpenAnotherAsync(TimeProvider time) => await SqliteStore.OpenAsync(_path!, time);

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
