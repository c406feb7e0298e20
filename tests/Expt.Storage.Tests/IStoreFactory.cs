namespace Expt.Storage.Tests;

/// <summary>Creates fresh, empty stores of one backend for the conformance suite.</summary>
public interface IStoreFactory : IAsyncDisposable
{
    /// <summary>A new empty store; <see cref="OpenAnotherAsync"/> opens more connections to the same one.</summary>
    Task<IExptStore> CreateAsync(TimeProvider time);

    /// <summary>Another independent connection (as another process would have) to the store last created.</summary>
    Task<IExptStore> OpenAnotherAsync(TimeProvider time);
}
