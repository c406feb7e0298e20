namespace Expt.Storage;

/// <summary>
/// A store: SQLite, PostgreSQL or any other backend. Its roles are split into narrow interfaces; every backend
/// passes the same conformance test suite.
/// </summary>
public interface IExptStore : IStudyCatalog, ITrialQueue, ITrialQuery, IAsyncDisposable
{
    /// <summary>Where artifacts and logs of trials live on this machine (trial directories go below it).</summary>
    string RunsDirectory { get; }

    /// <summary>A description for humans, without any secret (for example the file path).</summary>
    string Description { get; }

    /// <summary>
    /// An optional capability of this store (<see cref="IIntegrityCheck"/>, <see cref="IServerInfo"/>,
    /// <see cref="ILocalStoreFile"/>, or a third party's), or null when it has none: callers ask, never assume a backend.
    /// A store that wraps another answers for it.
    /// </summary>
    T? GetCapability<T>()
        where T : class => this as T;
}
