using System.Globalization;

namespace Expt.Text;

/// <summary>A count with its noun agreeing: "1 trial", "2 trials", "1,000 outcomes".</summary>
public static class Counted
{
    /// <summary>The count and the noun, singular for one (the plural adds 's' unless given).</summary>
    public static string Of(long count, string singular, string? plural = null) =>
        count.ToString("N0", CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : plural ?? singular + "s");
}
