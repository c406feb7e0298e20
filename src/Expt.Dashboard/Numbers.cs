using System.Globalization;
using Expt.Spec;

namespace Expt.Dashboard;

/// <summary>Parameter and result values as numbers, where they are numbers.</summary>
internal static class Numbers
{
    /// <summary>The value as a double when it is a number by Core's rule (the one summaries use), else null.</summary>
    public static double? Of(object? value) => ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null;

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
