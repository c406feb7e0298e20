using Expt.IO;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

/// <summary>Opens a SQLite file store: any location that is not another provider's (a path, relative or absolute).</summary>
public sealed class SqliteStoreProvider : IStoreProvider
{
    /// <inheritdoc />
    public string Name => "sqlite";

    /// <inheritdoc />
    public bool IsShared => false;

    /// <inheritdoc />
    public bool Handles(string location) => !string.IsNullOrWhiteSpace(location) && !location.Contains("://", StringComparison.Ordinal);

    /// <inheritdoc />
    public async Task<IExptStore> OpenAsync(StoreOpenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string path;
        try
        {
            path = Path.GetFullPath(request.Location, request.WorkingDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new StoreOpenException($"--store: '{Spec.InputLimits.Quote(request.Location)}' is not a file path: {ex.Message}", StoreOpenFailure.BadLocation, ex);
        }
        if (Directory.Exists(path))
        {
            throw new StoreOpenException($"--store: {path} is a directory; expected a SQLite file such as {Path.Combine(path, "expt.db")}", StoreOpenFailure.BadLocation);
        }
        if (request.MustExist && !File.Exists(path))
        {
            throw new StoreOpenException($"no store at {path}; run a study first (expt run FILE) or pass --store", StoreOpenFailure.NotFound);
        }
        // Only the default place is created on demand: a typo in --store must not scatter directories and stores.
        var directory = Path.GetDirectoryName(path);
        if (!request.MustExist && !request.IsDefault && directory is not null && !Directory.Exists(directory))
        {
            throw new StoreOpenException($"--store: no directory {directory}; create it first (only the default {ExptFolder.DefaultStore} is created for you)", StoreOpenFailure.BadLocation);
        }
        if (!request.MustExist && directory is not null)
        {
            ExptFolder.IgnoreInGit(directory);
        }
        try
        {
            var integrity = request.Inspect ? SqliteIntegrity.Never : request.CheckIntegrity ? SqliteIntegrity.Always : SqliteIntegrity.WhenSmall;
            return await SqliteStore.OpenAsync(path, new SqliteStoreOptions { Integrity = integrity }, request.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new StoreOpenException($"cannot open the store {path}: {ex.Message.Replace("SQLite Error ", string.Empty, StringComparison.Ordinal)}", StoreOpenFailure.Unavailable, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreOpenException($"cannot open the store {path}: {ex.Message}", StoreOpenFailure.Unavailable, ex);
        }
    }
}
