using System.Diagnostics;

namespace Expt.TestSupport;

/// <summary>A PgBouncer of the test's own (transaction mode) in front of a dedicated server, stopped on dispose.</summary>
public sealed class PgBouncerServer : IAsyncDisposable
{
    private static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../scripts/pgbouncer.sh"));
    private readonly string _directory;

    private PgBouncerServer(string connectionString, string directory)
    {
        Server = connectionString;
        _directory = directory;
    }

    /// <summary>PgBouncer's connection string (database expt, the server's user and password).</summary>
    public string Server { get; }

    /// <summary>Starts PgBouncer with <paramref name="pool"/> server connections in front of <paramref name="server"/>.</summary>
    public static async Task<PgBouncerServer> StartAsync(Postgres server, int pool)
    {
        ArgumentNullException.ThrowIfNull(server);
        var directory = server.Directory + "-bouncer";
        var output = await RunScriptAsync("start", directory, server.Directory!, pool.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PgBouncerServer(output.Trim(), directory);
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var info = new ProcessStartInfo("bash", [Script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbouncer.sh {string.Join(' ', args)} failed: {error}");
        }
        return output;
    }

    public async ValueTask DisposeAsync() => await RunScriptAsync("stop", _directory);
}
