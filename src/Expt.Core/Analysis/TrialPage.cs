namespace Expt.Analysis;

/// <summary>One page of an ordered listing: which page, of how many, of what size (clamped to what exists).</summary>
/// <param name="Page">The page shown, from 1.</param>
/// <param name="Pages">How many pages there are (at least 1).</param>
/// <param name="Size">Rows per page.</param>
public sealed record TrialPage(int Page, int Pages, int Size)
{
    /// <summary>The page <paramref name="page"/> of <paramref name="count"/> rows, <paramref name="size"/> each (at most <paramref name="maxSize"/>).</summary>
    public static TrialPage Of(int count, int? page, int? size, int maxSize)
    {
        var pageSize = Math.Clamp(size ?? 50, 1, Math.Max(1, maxSize));
        var pages = Math.Max(1, (count + pageSize - 1) / pageSize);
        return new TrialPage(Math.Clamp(page ?? 1, 1, pages), pages, pageSize);
    }

    /// <summary>The items of this page.</summary>
    public IEnumerable<T> Slice<T>(IEnumerable<T> items) => items.Skip((Page - 1) * Size).Take(Size);
}
