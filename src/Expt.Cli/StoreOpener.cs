using Expt.IO;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// Finds and opens the store: <c>--store</c>, else <c>EXPT_STORE</c>, else <c>./.expt/expt.db</c>, with the first of
/// <see cref="CliEnvironment.Stores"/> that handles the location (a <c>postgresql://</c> URL or an Npgsql connection
/// string opens the shared PostgreSQL store, a path a SQLite file). A store that cannot be opened is one line for the
/// user, with the exit code of why.
/// </summary>
internal static class StoreOpener
{
    public const string DefaultPath = ExptFolder.DefaultStore;

    /// <summary>Whether trial files are copied into the store: a shared store without a shared --artifacts directory.</summary>
    public static bool KeepsFilesInStore(StoreSettings settings, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Provider(settings, env).IsShared && Artifacts(settings, env) is null;
    }

    /// <summary>The provider of the store these settings name.</summary>
    public static IStoreProvider Provider(StoreSettings settings, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(env);
        try
        {
            return env.Stores.For(Location(settings, env));
        }
        catch (StoreOpenException ex)
        {
            throw new UserException("--store: " + ex.Message, ExitCodes.UsageError);
        }
    }

    /// <summary>Where the store is: --store, else EXPT_STORE, else the default file.</summary>
    public static string Location(StoreSettings settings, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(env);
        var location = settings.Location ?? env.GetEnvironmentVariable("EXPT_STORE");
        return string.IsNullOrWhiteSpace(location) ? DefaultPath : location;
    }

    private static string? Artifacts(StoreSettings settings, CliEnvironment env) =>
        settings.Artifacts is { Length: > 0 } given ? given
        : env.GetEnvironmentVariable("EXPT_ARTIFACTS") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;

    /// <summary>
    /// The spool of a store on this machine: beside a store file (and its space reserved, since its disk is the one
    /// that may fill), or under ./.expt for a store elsewhere.
    /// </summary>
    public static (string Path, bool Reserve) Spool(IExptStore store, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.GetCapability<ILocalStoreFile>() is { } file)
        {
            return (file.Path + ".spool", true);
        }
        var name = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(store.Description)))[..12];
        var directory = Path.GetFullPath(Path.GetDirectoryName(DefaultPath)!, env.WorkingDirectory);
        return (Path.Combine(directory, $"spool-{name}.spool"), false);
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
        var provider = Provider(settings, env);
        var request = new StoreOpenRequest(location)
        {
            WorkingDirectory = env.WorkingDirectory,
            MustExist = mustExist,
            IsDefault = location == DefaultPath,
            Operations = settings.Operations,
            WaitForServer = settings.WaitForServer,
            CheckIntegrity = settings.CheckIntegrity,
            Inspect = settings.Inspect,
            Credentials = settings.Credentials ?? env.GetEnvironmentVariable("EXPT_CREDENTIALS"),
            Artifacts = Artifacts(settings, env),
            Time = env.Time,
            GetEnvironmentVariable = env.GetEnvironmentVariable,
            Log = env.Error,
        };
        try
        {
            return await provider.OpenAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreOpenException ex)
        {
            throw new UserException(ex.Message, ex.Failure switch
            {
                StoreOpenFailure.NotFound => ExitCodes.NotFound,
                StoreOpenFailure.BadLocation => ExitCodes.UsageError,
                _ => ExitCodes.StoreError,
            });
        }
    }
}
