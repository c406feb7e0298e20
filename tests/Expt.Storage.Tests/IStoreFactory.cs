namespace Expt.Storage.Tests;

/// <summary>Creates fresh, empty stores of one backend for the conformance suite.</summary>
public interface IStoreFactory : IAsyncDisposable
{
    /// <summary>A new empty store; <see cref="OpenAnotherAsync"/> opens more connections to the same one.</summary>
    Task<IExptStore> CreateAsync(TimeProvider time);

    /// <summary>Another independent connection (as another process would have) to the store last created.</summary>
    Task<IExptStore> OpenAnotherAsync(TimeProvider time);

    /// <summary>A new, empty location (a file, a schema) that Expt has not opened; <see cref="OpenAnotherAsync"/> opens it.</summary>
    Task NewLocationAsync();

    /// <summary>Runs SQL in the current location, bypassing Expt: what another program, or a newer Expt, would leave there.</summary>
    Task ExecuteAsync(string sql);
}
