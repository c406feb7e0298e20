using System.Collections;

namespace Expt.Spec;

/// <summary>
/// A list-valued parameter (<c>hidden_layers: [[64, 32], [128, 64, 32]]</c>): immutable, compared item by item, written
/// as canonical JSON (<c>[64,32]</c>) in trial keys, commands and listings. Items are parameter values themselves:
/// scalars, lists, or mappings (<see cref="ParamMap"/>).
/// </summary>
public sealed class ParamList : IReadOnlyList<object?>, IEquatable<ParamList>
{
    private readonly object?[] _items;
    private string? _json;

    /// <summary>Creates a list; every item is normalised to a parameter value.</summary>
    public ParamList(IEnumerable<object?> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = [.. items.Select(ParamValues.Normalize)];
    }

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public object? this[int index] => _items[index];

    /// <summary>Canonical JSON, as it goes into trial keys and commands.</summary>
    public override string ToString() => _json ??= ParamValues.Canonical(this);

    /// <inheritdoc />
    public bool Equals(ParamList? other) =>
        other is not null && other.Count == Count && _items.Zip(other._items).All(p => ParamValues.AreEqual(p.First, p.Second));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParamList other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <inheritdoc />
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
