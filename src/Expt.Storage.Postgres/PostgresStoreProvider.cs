using Expt.IO;
using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>
/// Opens the shared PostgreSQL store: a <c>postgresql://</c> (or <c>postgres://</c>) URL or an Npgsql connection
/// string. Without a shared artifacts directory, trial files live under <c>./.expt/runs</c> and their small files are
/// copied into the database.
/// </summary>
public sealed class PostgresStoreProvider : IStoreProvider
{
    /// <inheritdoc />
    public string Name => "postgresql";

    /// <inheritdoc />
    public bool IsShared => true;

    /// <inheritdoc />
    public bool Handles(string location) => PostgresLocation.IsPostgres(location);

    /// <inheritdoc />
    public string ForWorkers(string location)
    {
        var target = PostgresLocation.Parse(location, null, _ => null);
        target.Connection.Password = null;
        return target.ToLocation();
    }

    /// <inheritdoc />
    public async Task<IExptStore> OpenAsync(StoreOpenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        PostgresTarget target;
        try
        {
            target = PostgresLocation.Parse(request.Location, request.Credentials is null ? null : Path.GetFullPath(request.Credentials, request.WorkingDirectory), request.GetEnvironmentVariable);
        }
        catch (FormatException ex)
        {
            throw new StoreOpenException($"--store: {ex.Message}", StoreOpenFailure.BadLocation, ex);
        }
        var connection = target.Connection;
        var description = PostgresLocation.Describe(connection, target.PgBouncer);
        var options = new PostgresStoreOptions { Operations = request.Operations, PgBouncer = target.PgBouncer };
        var local = Path.GetFullPath(Path.GetDirectoryName(ExptFolder.DefaultStore)!, request.WorkingDirectory);
        ExptFolder.IgnoreInGit(local, create: !request.MustExist);
        var runs = request.Artifacts is { } shared ? Path.GetFullPath(shared, request.WorkingDirectory) : Path.Combine(local, "runs");
        var delay = TimeSpan.FromSeconds(1);
        var waiting = false;
        while (true)
        {
            try
            {
                return await PostgresStore.OpenAsync(connection, runs, options, request.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (request.WaitForServer && ServerBusyOrAway(ex) && !cancellationToken.IsCancellationRequested)
            {
                // A worker started as the thousandth task of an array waits for a connection, holding nothing, rather
                // than failing its job: the server's limit is a queue, not an error.
                if (!waiting)
                {
                    await request.Log.WriteLineAsync($"waiting for the store {description}: {Innermost(ex).Message}; trying again with backoff, holding nothing (Ctrl+C stops)").ConfigureAwait(false);
                    waiting = true;
                }
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds)), request.Time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (PostgresException ex)
            {
                // Messages from the server name the user or database, never the password.
                throw new StoreOpenException($"cannot open the store {description}: {ex.MessageText}{PasswordHint(ex.SqlState == "28P01")}", StoreOpenFailure.Unavailable, ex);
            }
            catch (Exception ex) when (ex is NpgsqlException or StoreUnavailableException or TimeoutException)
            {
                var message = Innermost(ex).Message;
                throw new StoreOpenException($"cannot open the store {description}: {message}{PasswordHint(message.Contains("password", StringComparison.OrdinalIgnoreCase))}", StoreOpenFailure.Unavailable, ex);
            }
        }
    }

    // Too many clients, a server starting or restarting, a refused or dropped connection: worth waiting for. A wrong
    // password or a missing database is not.
    private static bool ServerBusyOrAway(Exception ex) => Innermost(ex) switch
    {
        PostgresException pg => pg.SqlState is "53300" or "53400" or "57P03" or "57P01" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => ex is StoreUnavailableException,
    };

    private static string PasswordHint(bool about) =>
        about ? " (give the password with --credentials FILE, EXPT_CREDENTIALS, PGPASSWORD or ~/.pgpass)" : string.Empty;

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null && ex is not PostgresException)
        {
            ex = ex.InnerException;
        }
        return ex;
    }
}
