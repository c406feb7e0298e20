namespace Expt.Cli.Output;

/// <summary>
/// A table to print in any of the text formats. On a terminal it is fitted to the width (<see cref="TableRenderer.Fit"/>):
/// <see cref="Constants"/> go to one line above it, the <see cref="Narrow"/> form is used when the full one is too
/// wide, <see cref="Shrinkable"/> text is cut with an ellipsis, and then the columns of lowest
/// <see cref="Priority"/> are left out (never the ones that matter most). Pipes and files get every column.
/// </summary>
internal sealed record TableData(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>Columns that should be right-aligned (numbers).</summary>
    public IReadOnlySet<int> RightAligned { get; init; } = new HashSet<int>();

    /// <summary>
    /// How much each column matters (higher stays longer when the terminal is narrow); null keeps columns from the
    /// left, dropping from the right.
    /// </summary>
    public IReadOnlyList<int>? Priority { get; init; }

    /// <summary>Columns with one value in every row: on a terminal, said once above the table (<c>dim=5 iters=5000</c>).</summary>
    public IReadOnlySet<int> Constants { get; init; } = new HashSet<int>();

    /// <summary>Text columns (folded parameters, an error) that may be cut with an ellipsis before any column is left out.</summary>
    public IReadOnlySet<int> Shrinkable { get; init; } = new HashSet<int>();

    /// <summary>Prose columns (a comparison's wording) that wrap at spaces rather than push the table past the width.</summary>
    public IReadOnlySet<int> Wrappable { get; init; } = new HashSet<int>();

    /// <summary>A more compact form of the same table (mean and spread in one cell), used when this one does not fit.</summary>
    public TableData? Narrow { get; init; }

    /// <summary>A line said above the table on a terminal (what every row shares), or null.</summary>
    public string? Preamble { get; init; }

    /// <summary>The columns whose value is the same in every row (of two or more), by index.</summary>
    public static IReadOnlySet<int> ConstantColumns(IReadOnlyList<IReadOnlyList<string>> rows, IEnumerable<int> candidates) =>
        rows.Count < 2 ? new HashSet<int>() : candidates.Where(i => rows.All(r => r[i] == rows[0][i])).ToHashSet();

    /// <summary>The table with only the given columns, in their order, every setting carried along.</summary>
    public TableData Select(IReadOnlyList<int> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var map = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        IReadOnlySet<int> Remap(IReadOnlySet<int> set) => set.Where(map.ContainsKey).Select(c => map[c]).ToHashSet();
        return this with
        {
            Headers = [.. columns.Select(c => Headers[c])],
            Rows = [.. Rows.Select(r => (IReadOnlyList<string>)[.. columns.Select(c => r[c])])],
            RightAligned = Remap(RightAligned),
            Priority = Priority is null ? null : [.. columns.Select(c => Priority[c])],
            Constants = Remap(Constants),
            Shrinkable = Remap(Shrinkable),
            Wrappable = Remap(Wrappable),
        };
    }
}
