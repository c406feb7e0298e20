namespace Expt.Storage;

/// <summary>
/// A kind of store Expt opens by its location: a SQLite file path, a <c>postgresql://</c> URL, or a third party's
/// scheme. Providers are registered in a <see cref="StoreProviders"/>; the first that <see cref="Handles"/> a location
/// opens it. Expt's own stores register exactly this way.
/// </summary>
public interface IStoreProvider
{
    /// <summary>A short name for messages and docs: <c>sqlite</c>, <c>postgresql</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether workers on other machines reach the store (a database server), so a cluster runs an array of workers
    /// against it; false for a file that one process writes.
    /// </summary>
    bool IsShared { get; }

    /// <summary>Whether this provider opens <paramref name="location"/> (by its scheme or shape).</summary>
    bool Handles(string location);

    /// <summary>
    /// Opens the store (creating it unless <see cref="StoreOpenRequest.MustExist"/>).
    /// </summary>
    /// <exception cref="StoreOpenException">The location is wrong, missing, or the store cannot be reached; the message is one line for users.</exception>
    Task<IExptStore> OpenAsync(StoreOpenRequest request, CancellationToken cancellationToken = default);

    /// <summary>The location as a worker started elsewhere (a batch job) is given it: without a password, which each worker finds as this one did.</summary>
    string ForWorkers(string location) => location;
}
