namespace Expt.Dashboard;

/// <summary>
/// Shrinks a long series for drawing: the x range is cut into buckets (about one per pixel) and each bucket keeps its
/// lowest and highest point, in x order, so spikes and dips survive while a million points become a few thousand.
/// </summary>
internal static class Downsampler
{
    /// <summary>
    /// The indices of the points to keep: all of them when there are at most <paramref name="maxPoints"/>, else the
    /// minimum and maximum of each of <c>maxPoints / 2</c> equal x ranges (x ascending). NaN values are skipped.
    /// </summary>
    public static int[] MinMax(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int maxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 4);
        var n = Math.Min(x.Length, y.Length);
        if (n <= maxPoints)
        {
            return Enumerable.Range(0, n).ToArray();
        }
        var buckets = maxPoints / 2;
        double first = x[0], last = x[n - 1];
        var width = (last - first) / buckets;
        var keep = new List<int>(maxPoints + 2);
        var i = 0;
        for (var b = 0; b < buckets && i < n; b++)
        {
            var end = b == buckets - 1 ? double.PositiveInfinity : first + ((b + 1) * width);
            int lo = -1, hi = -1;
            for (; i < n && x[i] < end; i++)
            {
                if (double.IsNaN(y[i]))
                {
                    continue;
                }
                if (lo < 0 || y[i] < y[lo])
                {
                    lo = i;
                }
                if (hi < 0 || y[i] > y[hi])
                {
                    hi = i;
                }
            }
            if (lo < 0)
            {
                continue;
            }
            // Both extremes, in x order, so the line goes through them as the full series does.
            keep.Add(Math.Min(lo, hi));
            if (lo != hi)
            {
                keep.Add(Math.Max(lo, hi));
            }
        }
        return keep.ToArray();
    }
}
