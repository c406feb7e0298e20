using Expt.Storage.Sqlite;

namespace Expt.Storage.Tests;

public sealed class SqliteStoreFactory : IStoreFactory
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-store-").FullName;
    private string? _path;

    public async Task<IExptStore> CreateAsync(TimeProvider time)
    {
        _path = Path.Combine(_directory, $"{Guid.NewGuid():N}.db");
        return await SqliteStore.OpenAsync(_path, time);
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
