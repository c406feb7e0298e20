using Expt.Expressions;
using Expt.Trials;

namespace Expt.Analysis;

/// <summary>
/// Which trials a listing shows and in what order, one engine for <c>expt ls</c> and the dashboard's table: statuses,
/// a where-expression over params, results and fields, a free-text search (an id prefix, or text in the params or
/// the error), and a <see cref="TrialSort"/>. A value-equal record, so a parsed query can key a cache.
/// </summary>
public sealed record TrialQuery
{
    /// <summary>Only these statuses; empty for all.</summary>
    public IReadOnlyList<TrialStatus> Statuses { get; init; } = [];

    /// <summary>Only trials for which this holds.</summary>
    public WhereExpression? Where { get; init; }

    /// <summary>Only trials whose id starts with this, or whose params or error contain it (any case).</summary>
    public string? Search { get; init; }

    /// <summary>The order; null for plan order.</summary>
    public TrialSort? Sort { get; init; }

    /// <summary>
    /// Parses a query from its parts as given on a command line or in a URL. Throws <see cref="FormatException"/>
    /// whose message starts with the part at fault (<c>status: </c>, <c>where: </c>, <c>sort: </c>).
    /// </summary>
    public static TrialQuery Parse(string? statuses, string? where, string? search, string? sort, bool descending = false) => new()
    {
        Statuses = Part("status", () => TrialStatusNames.ParseList(statuses)),
        Where = string.IsNullOrWhiteSpace(where) ? null : Part("where", () => WhereExpression.Parse(where)),
        Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        Sort = Part("sort", () => TrialSort.Parse(sort, descending)),
    };

    /// <summary>Whether a trial passes the filters (statuses, where, search).</summary>
    public bool Matches(TrialResult row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Statuses.Count > 0 && !Statuses.Contains(row.Record.Status))
        {
            return false;
        }
        if (Search is { } text && !row.Record.Id.StartsWith(text, StringComparison.OrdinalIgnoreCase)
            && !row.Params.ToString().Contains(text, StringComparison.OrdinalIgnoreCase)
            && !(row.Record.Error?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return false;
        }
        return Where is null || Where.Matches(row.Record, row.Params, row.Results);
    }

    /// <summary>
    /// The positions of the matching rows, in the query's order. <paramref name="primary"/> is the study's first
    /// objective (for <c>best</c> and <c>objective</c>). Throws <see cref="FormatException"/> (<c>sort: ...</c>) for a
    /// sort the rows cannot take.
    /// </summary>
    public int[] Select(IReadOnlyList<TrialResult> rows, Objective? primary)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var selected = new List<int>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            if (Matches(rows[i]))
            {
                selected.Add(i);
            }
        }
        if (Sort is null)
        {
            return [.. selected];
        }
        var positions = Part("sort", () => Sort.Order([.. selected.Select(i => rows[i])], primary));
        return [.. positions.Select(p => selected[p])];
    }

    /// <summary>Value equality over the statuses' contents and the expression's text, so equal queries share a cache entry.</summary>
    public bool Equals(TrialQuery? other) =>
        other is not null && Statuses.SequenceEqual(other.Statuses) && Where?.Text == other.Where?.Text && Search == other.Search && Sort == other.Sort;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(string.Join(',', Statuses), Where?.Text, Search, Sort);

    private static T Part<T>(string name, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"{name}: {ex.Message}", ex);
        }
    }
}
