namespace Expt.Plugins;

/// <summary>The executors plugins registered, by kind.</summary>
public sealed class ExecutorProviders
{
    private readonly Dictionary<string, IExecutorProvider> _providers = new(StringComparer.Ordinal);

    /// <summary>The kinds registered.</summary>
    public IReadOnlyCollection<string> Kinds => _providers.Keys;

    /// <summary>Registers a provider; a second one of the same kind (Expt's own included) is a mistake.</summary>
    public ExecutorProviders Add(IExecutorProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!_providers.TryAdd(provider.Kind, provider))
        {
            throw new ExecutorSetupException($"the executor '{provider.Kind}' is registered twice (a plugin's kind may not be one Expt or another plugin has)");
        }
        return this;
    }

    /// <summary>The provider of <paramref name="kind"/>.</summary>
    /// <exception cref="ExecutorSetupException">No plugin registers it.</exception>
    public IExecutorProvider For(string kind, string study)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return _providers.TryGetValue(kind, out var provider)
            ? provider
            : throw new ExecutorSetupException($"study {study} runs its trials with the executor '{kind}', which no plugin registers" +
                $"; load its plugin with EXPT_PLUGINS=path/to/plugin.dll (registered: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))})");
    }
}
