using Expt.Storage;

namespace Expt.Plugins;

/// <summary>What plugins extend: the kinds of store (by location) and of executor (by the study's <c>executor:</c> kind).</summary>
public sealed class ExptRegistry
{
    /// <summary>Creates a registry over the given stores and executors (Expt's own, usually).</summary>
    public ExptRegistry(StoreProviders stores, ExecutorProviders? executors = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        Stores = stores;
        Executors = executors ?? new ExecutorProviders();
    }

    /// <summary>The kinds of store; a plugin's go ahead of the defaults with <see cref="StoreProviders.Prepend"/>.</summary>
    public StoreProviders Stores { get; }

    /// <summary>The executors studies name with <c>executor: KIND</c>.</summary>
    public ExecutorProviders Executors { get; }
}
