namespace Expt.Spec;

/// <summary>
/// One axis of the grid. A plain axis has one name; a linked axis (a zip) has several names whose values vary
/// together, row by row. A fixed parameter is an axis with one row.
/// </summary>
/// <param name="Names">The parameter names on this axis.</param>
/// <param name="Rows">The values, one row per step along the axis, one value per name.</param>
public sealed record ParamAxis(IReadOnlyList<string> Names, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    /// <summary>A single-name axis.</summary>
    public static ParamAxis Single(string name, IEnumerable<object?> values) =>
        new([name], values.Select(v => (IReadOnlyList<object?>)[ParamValues.Normalize(v)]).ToList());
}
