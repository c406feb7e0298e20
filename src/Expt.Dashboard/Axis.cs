using System.Globalization;

namespace Expt.Dashboard;

/// <summary>A chart axis over values that may be numbers or categories (strings, mixed): categories map to 0, 1, 2...</summary>
internal sealed class Axis
{
    private readonly Dictionary<string, int>? _index;

    private Axis(string name, List<string>? categories, double min, double max)
    {
        Name = name;
        Categories = categories;
        Min = min;
        Max = max;
        _index = categories?.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
    }

    public string Name { get; }

    /// <summary>Null for a numeric axis.</summary>
    public List<string>? Categories { get; }

    public double Min { get; }

    public double Max { get; }

    public static Axis Of(string name, IEnumerable<object?> values)
    {
        var list = values.ToList();
        if (list.All(v => v is null || Numbers.Of(v) is not null) && list.Any(v => v is not null))
        {
            var numbers = list.Where(v => v is not null).Select(v => Numbers.Of(v)!.Value).Where(double.IsFinite).ToList();
            return new Axis(name, null, numbers.Count > 0 ? numbers.Min() : double.NaN, numbers.Count > 0 ? numbers.Max() : double.NaN);
        }
        var categories = list.Select(Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new Axis(name, categories, 0, Math.Max(0, categories.Count - 1));
    }

    public double? Position(object? value) =>
        _index is null ? (Numbers.Of(value) is { } d && double.IsFinite(d) ? d : null) : _index.TryGetValue(Text(value), out var i) ? i : null;

    private static string Text(object? value) => value is null ? "(none)" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
}
