using Expt.Expressions;
using Expt.Trials;

namespace Expt.Spec;

/// <summary>
/// A parameter space: the cartesian product of its axes (in order, the last axis varying fastest), plus
/// explicit points, times <see cref="Samples"/> random draws of its distributions, less the points that an
/// <see cref="Exclude"/> rule matches or <see cref="Where"/> rejects. Identical points are kept once.
/// </summary>
public sealed record ParamSpace
{
    /// <summary>The grid axes, fixed parameters included (one row each).</summary>
    public IReadOnlyList<ParamAxis> Axes { get; init; } = [];

    /// <summary>Explicit points; each is laid over the fixed parameters.</summary>
    public IReadOnlyList<ParamSet> Points { get; init; } = [];

    /// <summary>
    /// The space is its <see cref="Points"/> only, even when there are none (<c>points: []</c>): an empty table to
    /// fill later with <c>expt add</c>, as PyExperimenter users do. Without it, a space with no points is the grid.
    /// </summary>
    public bool PointsOnly { get; init; }

    /// <summary>Random-search parameters.</summary>
    public IReadOnlyList<KeyValuePair<string, Distribution>> Random { get; init; } = [];

    /// <summary>Random draws per grid point (only with <see cref="Random"/>).</summary>
    public int Samples { get; init; } = 1;

    /// <summary>Rules that drop a point when every name in a rule matches (a list value matches any of its items).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyList<object?>>> Exclude { get; init; } = [];

    /// <summary>Keeps only the points for which this expression is true.</summary>
    public WhereExpression? Where { get; init; }

    /// <summary>Every parameter name, in declaration order.</summary>
    public IReadOnlyList<string> Names =>
        Axes.SelectMany(a => a.Names).Concat(Random.Select(r => r.Key)).Concat(Points.SelectMany(p => p.Names)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>True when at least one axis has more than one row.</summary>
    public bool HasSweep => Axes.Any(a => a.Rows.Count > 1);

    /// <summary>The number of points before conditions and de-duplication (a cheap upper bound).</summary>
    public double EstimatedSize
    {
        get
        {
            var grid = (Points.Count > 0 || PointsOnly) && !HasSweep ? 0 : Axes.Aggregate(1.0, (n, a) => n * a.Rows.Count);
            return (grid + Points.Count) * (Random.Count > 0 ? Samples : 1);
        }
    }

    /// <summary>Expands the space into its points, in the documented deterministic order.</summary>
    /// <param name="studySeed">Seeds the random draws, so the same study always gives the same points.</param>
    public IReadOnlyList<ParamSet> Expand(long studySeed) => Enumerate(studySeed).ToList();

    /// <summary>
    /// The points one at a time, in the order of <see cref="Expand"/>: a dry run of a huge space shows its first
    /// points without holding them all.
    /// </summary>
    public IEnumerable<ParamSet> Enumerate(long studySeed) => EnumerateDrawn(studySeed).Select(d => d.Point);

    /// <summary>The points with the index of their random draw within their grid point (0 without random parameters).</summary>
    public IEnumerable<(ParamSet Point, int Sample)> EnumerateDrawn(long studySeed)
    {
        var order = Names;
        var fixedValues = Axes.Where(a => a.Rows.Count == 1).SelectMany(a => a.Names.Select((n, i) => KeyValuePair.Create(n, a.Rows[0][i]))).ToList();
        var bases = (Points.Count == 0 && !PointsOnly) || HasSweep ? Grid() : [];
        bases = bases.Concat(Points.Select(point =>
        {
            var values = new Dictionary<string, object?>(fixedValues, StringComparer.Ordinal);
            foreach (var (key, value) in point)
            {
                values[key] = value;
            }
            return values;
        }));

        var random = new SeededRandom(studySeed ^ 0x5A3D_1E4F_7C2B_9A61L);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var basePoint in bases)
        {
            var draws = Random.Count > 0 ? Samples : 1;
            for (var s = 0; s < draws; s++)
            {
                var values = new Dictionary<string, object?>(basePoint, StringComparer.Ordinal);
                foreach (var (name, distribution) in Random)
                {
                    values[name] = distribution.Sample(random);
                }
                var set = new ParamSet(order.Where(values.ContainsKey).Select(n => KeyValuePair.Create(n, values[n])));
                if (Keep(set) && seen.Add(set.ToCanonicalJson()))
                {
                    yield return (set, s);
                }
            }
        }
    }

    /// <summary>
    /// True when <see cref="EstimatedSize"/> is the exact number of points: no filters, no explicit points, no
    /// random draws that could repeat, and no axis with a repeated row.
    /// </summary>
    public bool IsSizeExact =>
        Exclude.Count == 0 && Where is null && Points.Count == 0 && !PointsOnly && Random.Count == 0
        && Axes.All(a => a.Rows.Select(r => string.Join('\u0001', r.Select(ParamValues.Format))).Distinct(StringComparer.Ordinal).Count() == a.Rows.Count);

    private IEnumerable<Dictionary<string, object?>> Grid()
    {
        var index = new int[Axes.Count];
        if (Axes.Any(a => a.Rows.Count == 0))
        {
            yield break;
        }
        while (true)
        {
            var point = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var a = 0; a < Axes.Count; a++)
            {
                var row = Axes[a].Rows[index[a]];
                for (var n = 0; n < Axes[a].Names.Count; n++)
                {
                    point[Axes[a].Names[n]] = row[n];
                }
            }
            yield return point;
            var k = Axes.Count - 1;
            while (k >= 0 && ++index[k] == Axes[k].Rows.Count)
            {
                index[k] = 0;
                k--;
            }
            if (k < 0)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Why this space would not plan <paramref name="point"/> (an exclude rule, the where expression, a value not among
    /// its axis's values), in a few words for a message; null when no rule or axis says so (a point the space never
    /// drew, or one added by hand).
    /// </summary>
    public string? Rejection(ParamSet point)
    {
        ArgumentNullException.ThrowIfNull(point);
        foreach (var rule in Exclude)
        {
            if (rule.All(r => point.TryGetValue(r.Key, out var v) && r.Value.Any(x => ParamValues.AreEqual(v, x))))
            {
                return "excluded by {" + string.Join(", ", rule.Select(r => r.Key + ": " + string.Join("|", r.Value.Select(ParamValues.Format)))) + "}";
            }
        }
        if (Where is not null && !Where.Evaluate(point.TryGetValue))
        {
            return "failing where " + Where.Text;
        }
        if (Points.Count > 0 || PointsOnly)
        {
            return null; // the grid is not the whole space: a point off the axes may be one of the file's points
        }
        foreach (var axis in Axes)
        {
            var values = axis.Names.Select(n => point.TryGetValue(n, out var v) ? v : null).ToList();
            if (!axis.Names.All(point.Contains) || axis.Rows.Any(row => row.Select((x, i) => ParamValues.AreEqual(x, values[i])).All(b => b)))
            {
                continue;
            }
            var name = axis.Names.Count == 1 ? axis.Names[0] : "(" + string.Join(", ", axis.Names) + ")";
            return $"with {name}={string.Join(",", values.Select(ParamValues.Format))}, no longer in the file";
        }
        return null;
    }

    private bool Keep(ParamSet point)
    {
        foreach (var rule in Exclude)
        {
            var matches = rule.All(r => point.TryGetValue(r.Key, out var v) && r.Value.Any(x => ParamValues.AreEqual(v, x)));
            if (matches)
            {
                return false;
            }
        }
        return Where is null || Where.Evaluate(point.TryGetValue);
    }
}
