using System.Collections.Concurrent;

namespace Expt.Dashboard;

/// <summary>
/// Computed views (summaries, orders, charts) by the query that asked for them, kept with what they were computed
/// from and bounded: past <paramref name="capacity"/> entries it starts again, as a page asks for few at a time.
/// </summary>
internal sealed class ViewCache<TKey, TValue>(int capacity = 64)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _views = new();

    public bool TryGet(TKey key, out TValue value) => _views.TryGetValue(key, out value!);

    public TValue Keep(TKey key, TValue value)
    {
        if (_views.Count >= capacity)
        {
            _views.Clear();
        }
        _views[key] = value;
        return value;
    }

    public TValue GetOrAdd(TKey key, Func<TKey, TValue> compute)
    {
        if (_views.TryGetValue(key, out var value))
        {
            return value;
        }
        return Keep(key, compute(key));
    }
}
