using Expt.Storage;
using Expt.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Expt.Cli;

/// <summary>Finds and opens the store: <c>--store</c>, else <c>EXPT_STORE</c>, else <c>./.expt/expt.db</c>.</summary>
internal static class StoreOpener
{
    public const string DefaultPath = ".expt/expt.db";

    public static string Resolve(string? option, CliEnvironment env)
    {
        var location = option ?? env.GetEnvironmentVariable("EXPT_STORE");
        if (string.IsNullOrWhiteSpace(location))
        {
            location = DefaultPath;
        }
        if (location.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || location.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            throw new UserException("PostgreSQL stores are not supported by this version of expt yet; use a SQLite file path for --store");
        }
        return Path.GetFullPath(location, env.WorkingDirectory);
    }

    public static async Task<IExptStore> OpenAsync(string? option, CliEnvironment env, CancellationToken cancellationToken)
    {
        var path = Resolve(option, env);
        try
        {
            return await SqliteStore.OpenAsync(path, env.Time, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Opens the store only if it exists: read-only commands never create one.</summary>
    public static async Task<IExptStore> OpenExistingAsync(string? option, CliEnvironment env, CancellationToken cancellationToken)
    {
        var path = Resolve(option, env);
        if (!File.Exists(path))
        {
            throw new UserException($"no store at {path}; run a study first (expt run FILE) or pass --store", ExitCodes.NotFound);
        }
        return await OpenAsync(option, env, cancellationToken).ConfigureAwait(false);
    }
}
