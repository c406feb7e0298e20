using Npgsql;

namespace Expt.TestSupport;

/// <summary>
/// The PostgreSQL server of the test run (<c>./test.sh</c> starts it and puts its connection string in
/// <c>EXPT_TEST_POSTGRES</c>), or a dedicated one for tests that restart or stop the server.
/// </summary>
public sealed class Postgres : IAsyncDisposable
{
    private readonly string? _directory;

    private Postgres(string connectionString, string? directory)
    {
        Server = connectionString;
        _directory = directory;
    }

    /// <summary>The server's connection string (database expt).</summary>
    public string Server { get; }

    /// <summary>A dedicated server's directory (null for the shared one).</summary>
    public string? Directory => _directory;

    /// <summary>The shared server's connection string; fails loudly when it is missing, so CI cannot skip these tests.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("EXPT_TEST_POSTGRES")
        ?? throw new InvalidOperationException("EXPT_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts a PostgreSQL server (tests/scripts/postgres.sh)");

    /// <summary>The shared server of this test run.</summary>
    public static Postgres Shared => new(ConnectionString, directory: null);

    /// <summary>Creates an empty schema on the shared server (a store of its own) and returns settings that use it.</summary>
    public static async Task<NpgsqlConnectionStringBuilder> NewSchemaAsync(string prefix = "t_")
    {
        var schema = prefix + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(ConnectionString, $"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema };
    }

    /// <summary>Drops a schema made by <see cref="NewSchemaAsync"/>.</summary>
    public static Task DropSchemaAsync(string schema) => ExecuteAsync(ConnectionString, $"DROP SCHEMA IF EXISTS {schema} CASCADE");

    /// <summary>Starts a server of its own (in memory) that the test may restart or stop.</summary>
    public static async Task<Postgres> StartDedicatedAsync()
    {
        var directory = Path.Combine(System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "expt-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var output = await RunScriptAsync("start", directory);
        return new Postgres(output.Trim(), directory);
    }

    public async Task RestartAsync(string mode = "fast")
    {
        await RunScriptAsync("restart", _directory!, mode);
        NpgsqlConnection.ClearAllPools(); // this test process's own pooled connections died with the server
    }

    /// <summary>Stops the server without deleting it (start it again with <see cref="StartAgainAsync"/>).</summary>
    public Task StopOnlyAsync() => RunScriptAsync("halt", _directory!);

    public async Task StartAgainAsync()
    {
        await RunScriptAsync("resume", _directory!);
        NpgsqlConnection.ClearAllPools(); // this test process's own pooled connections died with the server
    }

    private static Task<string> RunScriptAsync(params string[] args) => TestScripts.RunAsync("postgres.sh", args);

    /// <summary>A fresh, empty store (its own schema) on this server, as an Npgsql connection string for --store.</summary>
    public async Task<string> NewStoreAsync()
    {
        var schema = "e2e_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(Server, $"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(Server) { SearchPath = schema }.ConnectionString;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<List<object[]>> RowsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout} for {what}");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_directory is not null)
        {
            await RunScriptAsync("stop", _directory);
        }
    }
}
