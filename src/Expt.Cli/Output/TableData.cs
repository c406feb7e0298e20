namespace Expt.Cli.Output;

/// <summary>A table to print in any of the text formats.</summary>
internal sealed record TableData(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>Columns that should be right-aligned (numbers).</summary>
    public IReadOnlySet<int> RightAligned { get; init; } = new HashSet<int>();
}
