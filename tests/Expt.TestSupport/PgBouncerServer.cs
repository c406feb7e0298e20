namespace Expt.TestSupport;

/// <summary>A PgBouncer of the test's own (transaction mode) in front of a dedicated server, stopped on dispose.</summary>
public sealed class PgBouncerServer : IAsyncDisposable
{
    private readonly string _directory;

    private PgBouncerServer(string connectionString, string directory)
    {
        Server = connectionString;
        _directory = directory;
    }

    /// <summary>PgBouncer's connection string (database expt, the server's user and password).</summary>
    public string Server { get; }

    /// <summary>Starts PgBouncer with <paramref name="pool"/> server connections in front of <paramref name="server"/>.</summary>
    public static Task<PgBouncerServer> StartAsync(Postgres server, int pool)
    {
        ArgumentNullException.ThrowIfNull(server);
        return StartAsync(server.Directory!, pool);
    }

    /// <summary>
    /// Starts PgBouncer in front of the server in <paramref name="serverDirectory"/> (the shared one's is in
    /// <c>EXPT_TEST_POSTGRES_DIR</c>), with more lines for its configuration.
    /// </summary>
    public static async Task<PgBouncerServer> StartAsync(string serverDirectory, int pool, string extraConfiguration = "")
    {
        var directory = serverDirectory + "-bouncer-" + Guid.NewGuid().ToString("N")[..6];
        var output = await TestScripts.RunAsync("pgbouncer.sh", new Dictionary<string, string> { ["PGBOUNCER_EXTRA"] = extraConfiguration }, "start", directory, serverDirectory, pool.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PgBouncerServer(output.Trim(), directory);
    }

    private static Task<string> RunScriptAsync(params string[] args) => TestScripts.RunAsync("pgbouncer.sh", args);

    public async ValueTask DisposeAsync() => await RunScriptAsync("stop", _directory);
}
