using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Expt.Spec;

/// <summary>
/// An immutable, ordered set of named parameter values (one point of a parameter space). Names may be dotted
/// (<c>model.depth</c>); in nested JSON they become nested objects.
/// </summary>
public sealed class ParamSet : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _items;

    public static ParamSet Empty { get; } = new([]);

    /// <summary>Creates a set from name/value pairs; later duplicates replace earlier ones in place.</summary>
    public ParamSet(IEnumerable<KeyValuePair<string, object?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = new List<KeyValuePair<string, object?>>();
        foreach (var (key, value) in items)
        {
            var normalized = new KeyValuePair<string, object?>(key, ParamValues.Normalize(value));
            var index = list.FindIndex(p => p.Key == key);
            if (index >= 0)
            {
                list[index] = normalized;
            }
            else
            {
                list.Add(normalized);
            }
        }
        _items = [.. list];
    }

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index] => _items[index];

    /// <summary>The value of a parameter, or throws <see cref="KeyNotFoundException"/>.</summary>
    public object? this[string name] => TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"no parameter named '{name}'");

    /// <summary>The parameter names, in order.</summary>
    public IEnumerable<string> Names => _items.Select(p => p.Key);

    /// <summary>Looks a parameter up by name.</summary>
    public bool TryGetValue(string name, out object? value)
    {
        foreach (var item in _items)
        {
            if (item.Key == name)
            {
                value = item.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>True when the set has a parameter of that name.</summary>
    public bool Contains(string name) => TryGetValue(name, out _);

    /// <summary>Returns a set with the given values set (added at the end when new).</summary>
    public ParamSet With(IEnumerable<KeyValuePair<string, object?>> overrides) => new(_items.Concat(overrides));

    /// <summary>
    /// Reads a value converted to <typeparamref name="T"/> (int, long, double, decimal, float, bool, string, enums); a
    /// list-valued parameter to any type its JSON deserialises to (<c>int[]</c>, <c>List&lt;double[]&gt;</c>, a record),
    /// and the prefix of dotted parameters (<c>optim</c> for <c>optim.lr</c> and <c>optim.name</c>) to one object.
    /// </summary>
    public T Get<T>(string name)
    {
        if (!TryGetValue(name, out var value) && Nested(name) is { } nested)
        {
            return Deserialize<T>(nested, name);
        }
        value = this[name];
        return value is ParamList or ParamMap && !typeof(T).IsInstanceOfType(value) && typeof(T) != typeof(string) ? Deserialize<T>(ParamValues.Format(value), name) : Convert<T>(value, name);
    }

    /// <summary>
    /// What <c>{name}</c> stands for in a command or a trial name: the value as shown (a list as compact JSON), or for
    /// the prefix of dotted parameters (<c>{optim}</c> for <c>optim.lr</c>, <c>optim.name</c>) their nested JSON object.
    /// </summary>
    public string? Placeholder(string name) => TryGetValue(name, out var value) ? ParamValues.Format(value) : Nested(name);

    /// <summary>The dotted parameters under <paramref name="prefix"/> as one nested JSON object, or null when there are none.</summary>
    public string? Nested(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var under = _items.Where(p => p.Key.StartsWith(prefix + ".", StringComparison.Ordinal)).Select(p => KeyValuePair.Create(p.Key[(prefix.Length + 1)..], p.Value)).ToList();
        return under.Count == 0 ? null : new ParamSet(under).ToNestedJson();
    }

    private static T Deserialize<T>(string json, string name)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonOptions)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidCastException($"parameter '{name}' is {json}, which is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    internal static T Convert<T>(object? value, string name)
    {
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (value is null)
        {
            return default!;
        }
        if (target.IsInstanceOfType(value))
        {
            return (T)value;
        }
        try
        {
            if (target.IsEnum)
            {
                return (T)Enum.Parse(target, ParamValues.Format(value), ignoreCase: true);
            }
            if (target == typeof(string))
            {
                return (T)(object)ParamValues.Format(value);
            }
            if (value is double d && target == typeof(decimal))
            {
                return (T)(object)(decimal)d;
            }
            if (target == typeof(double) && value is decimal m)
            {
                return (T)(object)(double)m;
            }
            if ((target == typeof(int) || target == typeof(long)) && value is decimal md && md != decimal.Truncate(md))
            {
                throw new InvalidCastException();
            }
            return (T)System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidCastException($"parameter '{name}' is {ParamValues.TypeName(value)} {ParamValues.Format(value)}, which is not a {target.Name}", ex);
        }
    }

    /// <summary>
    /// Canonical JSON: a flat object with keys sorted ordinally, no white space, invariant number formats, strings
    /// with only the escapes JSON requires. Trial keys are hashes of this text, so it must never change for the same values.
    /// </summary>
    public string ToCanonicalJson() => _canonical ??= WriteFlat(_items.OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>A flat JSON object in parameter order (how the store keeps params).</summary>
    public string ToFlatJson() => _flat ??= WriteFlat(_items);

    private string? _canonical;
    private string? _flat;

    // Hand-written rather than Utf8JsonWriter: it runs once per point of large plans, and its escaping must stay
    // exactly the documented minimal one (quote, backslash and control characters only).
    private static string WriteFlat(IEnumerable<KeyValuePair<string, object?>> items)
    {
        var sb = new StringBuilder(64);
        sb.Append('{');
        var first = true;
        foreach (var (key, value) in items)
        {
            if (!first)
            {
                sb.Append(',');
            }
            first = false;
            ParamValues.AppendString(sb, key);
            sb.Append(':');
            ParamValues.AppendCanonical(sb, value);
        }
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>JSON with dotted names nested as objects, in parameter order (what trials receive in EXPT_PARAMS).</summary>
    public string ToNestedJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteNested(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the set as a nested JSON object.</summary>
    public void WriteNested(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        WriteLevel(writer, _items.Select(p => (Path: p.Key.Split('.'), p.Value)).ToList(), 0);
    }

    private static void WriteLevel(Utf8JsonWriter writer, List<(string[] Path, object? Value)> items, int depth)
    {
        writer.WriteStartObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, value) in items)
        {
            var head = path[depth];
            if (path.Length == depth + 1)
            {
                writer.WritePropertyName(head);
                ParamValues.WriteJson(writer, value);
            }
            else if (seen.Add(head))
            {
                writer.WritePropertyName(head);
                WriteLevel(writer, items.Where(i => i.Path.Length > depth + 1 && i.Path[depth] == head).ToList(), depth + 1);
            }
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads flat or nested JSON back into a set (nested objects become dotted names).</summary>
    public static ParamSet FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return Empty; // a damaged or hand-written row: shown without parameters rather than failing its listing
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Empty;
            }
            var items = new List<KeyValuePair<string, object?>>();
            Flatten(doc.RootElement, string.Empty, items);
            return new ParamSet(items);
        }
    }

    private static void Flatten(JsonElement element, string prefix, List<KeyValuePair<string, object?>> items)
    {
        foreach (var property in element.EnumerateObject())
        {
            var name = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(property.Value, name, items);
            }
            else
            {
                items.Add(new(name, ParamValues.FromJson(property.Value)));
            }
        }
    }

    /// <summary>A short human form: <c>lr=0.1 bs=16</c>.</summary>
    public override string ToString() => string.Join(' ', _items.Select(p => p.Key + "=" + ParamValues.Format(p.Value)));

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
