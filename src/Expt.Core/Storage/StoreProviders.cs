namespace Expt.Storage;

/// <summary>
/// The kinds of store Expt can open, asked in order: the first provider that handles a location opens it. A host
/// registers a third party's provider ahead of the defaults (<see cref="Prepend"/>), so it may claim a location a
/// default would otherwise take.
/// </summary>
public sealed class StoreProviders
{
    private readonly List<IStoreProvider> _providers = [];

    /// <summary>The providers, in the order they are asked.</summary>
    public IReadOnlyList<IStoreProvider> All => _providers;

    /// <summary>Adds a provider after the others.</summary>
    public StoreProviders Add(IStoreProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _providers.Add(provider);
        return this;
    }

    /// <summary>Adds a provider before the others.</summary>
    public StoreProviders Prepend(IStoreProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _providers.Insert(0, provider);
        return this;
    }

    /// <summary>The provider for <paramref name="location"/>.</summary>
    /// <exception cref="StoreOpenException">No provider handles it.</exception>
    public IStoreProvider For(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return _providers.FirstOrDefault(p => p.Handles(location))
            ?? throw new StoreOpenException($"no kind of store opens '{Spec.InputLimits.Quote(location)}'; expected one of: {string.Join(", ", _providers.Select(p => p.Name))}", StoreOpenFailure.BadLocation);
    }

    /// <summary>Opens the store at the request's location with its provider.</summary>
    public Task<IExptStore> OpenAsync(StoreOpenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return For(request.Location).OpenAsync(request, cancellationToken);
    }
}
