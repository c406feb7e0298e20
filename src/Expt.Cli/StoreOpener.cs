using Expt.Storage;
using Expt.Storage.Postgres;
using Expt.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Expt.Cli;

/// <summary>
/// Finds and opens the store: <c>--store</c>, else <c>EXPT_STORE</c>, else <c>./.expt/expt.db</c>. A
/// <c>postgresql://</c> URL or an Npgsql connection string opens the shared PostgreSQL store.
/// </summary>
internal static class StoreOpener
{
    public const string DefaultPath = ".expt/expt.db";

    /// <summary>Whether trial files are copied into the store: PostgreSQL without a shared --artifacts directory.</summary>
    public static bool KeepsFilesInStore(StoreSettings settings, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return PostgresLocation.IsPostgres(Location(settings, env)) && Artifacts(settings, env) is null;
    }

    private static string Location(StoreSettings settings, CliEnvironment env)
    {
        var location = settings.Location ?? env.GetEnvironmentVariable("EXPT_STORE");
        return string.IsNullOrWhiteSpace(location) ? DefaultPath : location;
    }

    private static string? Artifacts(StoreSettings settings, CliEnvironment env) =>
        settings.Artifacts is { Length: > 0 } given ? given
        : env.GetEnvironmentVariable("EXPT_ARTIFACTS") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;

    /// <summary>
    /// The spool of a store on this machine: beside a SQLite file (and its space reserved, since its disk is the one
    /// that may fill), or under ./.expt for a PostgreSQL store.
    /// </summary>
    public static (string Path, bool Reserve) Spool(IExptStore store, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store is SqliteStore sqlite)
        {
            return (sqlite.Path + ".spool", true);
        }
        var name = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(store.Description)))[..12];
        var directory = Path.GetFullPath(Path.GetDirectoryName(DefaultPath)!, env.WorkingDirectory);
        return (Path.Combine(directory, $"spool-{name}.spool"), false);
    }

    /// <summary>
    /// A <c>.expt</c> folder gets a <c>.gitignore</c> of <c>*</c>: the store is not part of the code, and must not show
    /// as untracked in the git state recorded as provenance (nor be committed by <c>git add .</c>).
    /// </summary>
    private static void IgnoreInGit(string directory, bool create = true)
    {
        if (Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) != ".expt")
        {
            return;
        }
        try
        {
            if (create)
            {
                Directory.CreateDirectory(directory);
            }
            var ignore = Path.Combine(directory, ".gitignore");
            if (Directory.Exists(directory) && !Path.Exists(ignore))
            {
                File.WriteAllText(ignore, "# Written by expt: the store and trial files are not source code.\n*\n");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a read-only folder still opens; the store reports its own errors.
        }
    }

    public static Task<IExptStore> OpenAsync(StoreSettings settings, CliEnvironment env, CancellationToken cancellationToken) =>
        OpenAsync(settings, env, mustExist: false, cancellationToken);

    /// <summary>Opens the store only if it exists: read-only commands never create a SQLite file.</summary>
    public static Task<IExptStore> OpenExistingAsync(StoreSettings settings, CliEnvironment env, CancellationToken cancellationToken) =>
        OpenAsync(settings, env, mustExist: true, cancellationToken);

    private static async Task<IExptStore> OpenAsync(StoreSettings settings, CliEnvironment env, bool mustExist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var location = Location(settings, env);
        if (PostgresLocation.IsPostgres(location))
        {
            return await OpenPostgresAsync(location, settings, env, mustExist, cancellationToken).ConfigureAwait(false);
        }
        string path;
        try
        {
            path = Path.GetFullPath(location, env.WorkingDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserException($"--store: '{Spec.InputLimits.Quote(location)}' is not a file path: {ex.Message}");
        }
        if (Directory.Exists(path))
        {
            throw new UserException($"--store: {path} is a directory; expected a SQLite file such as {Path.Combine(path, "expt.db")}");
        }
        if (mustExist && !File.Exists(path))
        {
            throw new UserException($"no store at {path}; run a study first (expt run FILE) or pass --store", ExitCodes.NotFound);
        }
        // Only the default place is created on demand: a typo in --store must not scatter directories and stores.
        var directory = Path.GetDirectoryName(path);
        if (!mustExist && location != DefaultPath && directory is not null && !Directory.Exists(directory))
        {
            throw new UserException($"--store: no directory {directory}; create it first (only the default {DefaultPath} is created for you)");
        }
        if (!mustExist && directory is not null)
        {
            IgnoreInGit(directory);
        }
        try
        {
            var integrity = settings.Inspect ? SqliteIntegrity.Never : settings.CheckIntegrity ? SqliteIntegrity.Always : SqliteIntegrity.WhenSmall;
            return await SqliteStore.OpenAsync(path, new SqliteStoreOptions { Integrity = integrity }, env.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new UserException($"cannot open the store {path}: {ex.Message.Replace("SQLite Error ", string.Empty, StringComparison.Ordinal)}", ExitCodes.StoreError);
        }
        catch (IOException ex)
        {
            throw new UserException($"cannot open the store {path}: {ex.Message}", ExitCodes.StoreError);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UserException($"cannot open the store {path}: {ex.Message}", ExitCodes.StoreError);
        }
    }

    private static async Task<IExptStore> OpenPostgresAsync(string location, StoreSettings settings, CliEnvironment env, bool mustExist, CancellationToken cancellationToken)
    {
        PostgresTarget target;
        try
        {
            var credentials = settings.Credentials ?? env.GetEnvironmentVariable("EXPT_CREDENTIALS");
            target = PostgresLocation.Parse(location, credentials is null ? null : Path.GetFullPath(credentials, env.WorkingDirectory), env.GetEnvironmentVariable);
        }
        catch (FormatException ex)
        {
            throw new UserException($"--store: {ex.Message}");
        }
        var connection = target.Connection;
        var description = PostgresLocation.Describe(connection, target.PgBouncer);
        var options = new PostgresStoreOptions { Operations = settings.Operations, PgBouncer = target.PgBouncer };
        IgnoreInGit(Path.GetFullPath(Path.GetDirectoryName(DefaultPath)!, env.WorkingDirectory), create: !mustExist);
        // Without a shared directory, trial files live in a local one and their small files are copied into the database.
        var runs = Artifacts(settings, env) is { } shared
            ? Path.GetFullPath(shared, env.WorkingDirectory)
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(DefaultPath)!, "runs"), env.WorkingDirectory);
        var delay = TimeSpan.FromSeconds(1);
        var waiting = false;
        while (true)
        {
            try
            {
                return await PostgresStore.OpenAsync(connection, runs, options, env.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (settings.WaitForServer && ServerBusyOrAway(ex) && !cancellationToken.IsCancellationRequested)
            {
                // A worker started as the thousandth task of an array waits for a connection, holding nothing, rather
                // than failing its job: the server's limit is a queue, not an error.
                if (!waiting)
                {
                    await env.Error.WriteLineAsync($"waiting for the store {description}: {Innermost(ex).Message}; trying again with backoff, holding nothing (Ctrl+C stops)").ConfigureAwait(false);
                    waiting = true;
                }
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds)), env.Time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (PostgresException ex)
            {
                // Messages from the server name the user or database, never the password.
                throw new UserException($"cannot open the store {description}: {ex.MessageText}{PasswordHint(ex.SqlState == "28P01")}", ExitCodes.StoreError);
            }
            catch (Exception ex) when (ex is NpgsqlException or StoreUnavailableException or TimeoutException)
            {
                var message = Innermost(ex).Message;
                throw new UserException($"cannot open the store {description}: {message}{PasswordHint(message.Contains("password", StringComparison.OrdinalIgnoreCase))}", ExitCodes.StoreError);
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
