using System.Globalization;

namespace Expt.Dashboard;

/// <summary>Parameter and result values as numbers, where they are numbers.</summary>
internal static class Numbers
{
    public static double? Of(object? value) => value switch
    {
        long l => l,
        int i => i,
        double d => d,
        decimal m => (double)m,
        float f => f,
        bool b => b ? 1 : 0,
        _ => null,
    };

    /// <summary>Orders numbers numerically, then everything else by its text.</summary>
    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : 1) : -1; // missing values last
        }
        var (x, y) = (Of(a), Of(b));
        if (x is not null && y is not null)
        {
            return x.Value.CompareTo(y.Value);
        }
        if (x is not null != (y is not null))
        {
            return x is not null ? -1 : 1;
        }
        return string.CompareOrdinal(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture));
    }
}
