using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Expt.Spec;

/// <summary>
/// A mapping inside a list-valued parameter (<c>layers: [[{units: 64}, {units: 32}]]</c>): immutable, its keys kept
/// sorted so the same mapping always gives the same canonical JSON and trial key. (A mapping directly under
/// <c>params</c> is not a value but nested parameters, <c>optim.lr</c>; see the configuration docs.)
/// </summary>
public sealed class ParamMap : IReadOnlyDictionary<string, object?>, IEquatable<ParamMap>
{
    private readonly KeyValuePair<string, object?>[] _items;
    private string? _json;

    /// <summary>Creates a mapping; a repeated key keeps its last value.</summary>
    public ParamMap(IEnumerable<KeyValuePair<string, object?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var map = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in items)
        {
            map[key] = ParamValues.Normalize(value);
        }
        _items = [.. map];
    }

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public IEnumerable<string> Keys => _items.Select(i => i.Key);

    /// <inheritdoc />
    public IEnumerable<object?> Values => _items.Select(i => i.Value);

    /// <inheritdoc />
    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    /// <inheritdoc />
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        foreach (var item in _items)
        {
            if (item.Key == key)
            {
                value = item.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Canonical JSON (keys sorted).</summary>
    public override string ToString() => _json ??= ParamValues.Canonical(this);

    /// <inheritdoc />
    public bool Equals(ParamMap? other) =>
        other is not null && other.Count == Count && _items.Zip(other._items).All(p => p.First.Key == p.Second.Key && ParamValues.AreEqual(p.First.Value, p.Second.Value));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParamMap other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
