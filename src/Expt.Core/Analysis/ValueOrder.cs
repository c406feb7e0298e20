using System.Globalization;
using Expt.Spec;

namespace Expt.Analysis;

/// <summary>
/// The one order of values for every sorted listing (<c>expt ls --sort</c>, the dashboard's trials table): numbers
/// numerically, then text; a missing or non-finite value last, whichever the direction; ties keep their order.
/// </summary>
public static class ValueOrder
{
    /// <summary>The sortable fields of a trial, by name, shared by <c>expt ls --sort</c> and the dashboard.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["id", "name", "status", "replicate", "attempts", "duration", "created", "started", "finished", "host"];

    /// <summary>The value of a sortable field of a trial, or null when <paramref name="field"/> is not one.</summary>
    public static Func<Storage.TrialRecord, object?>? Field(string field) => field switch
    {
        "id" => t => t.Id,
        "name" => t => t.Name,
        "status" => t => Trials.TrialStatusNames.ToName(t.Status),
        "replicate" => t => (long)t.Replicate,
        "attempts" => t => (long)t.Attempts,
        "duration" => t => t.Duration?.TotalSeconds,
        "created" => t => t.Created.UtcTicks,
        "started" => t => t.Started?.UtcTicks,
        "finished" => t => t.Finished?.UtcTicks,
        "host" => t => t.Host,
        _ => null,
    };

    /// <summary>Compares two values ascending; missing and non-finite values after all others.</summary>
    public static int Compare(object? a, object? b)
    {
        var (missingA, missingB) = (Missing(a), Missing(b));
        if (missingA || missingB)
        {
            return missingA == missingB ? 0 : missingA ? 1 : -1;
        }
        var (x, y) = (Number(a), Number(b));
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

    /// <summary>The positions of <paramref name="keys"/> in sorted order: stable, missing values last either way.</summary>
    public static int[] Sort(IReadOnlyList<object?> keys, bool descending)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var positions = Enumerable.Range(0, keys.Count).ToArray();
        Array.Sort(positions, (a, b) =>
        {
            var c = Compare(keys[a], keys[b]);
            if (descending && !Missing(keys[a]) && !Missing(keys[b]))
            {
                c = -c;
            }
            return c != 0 ? c : a.CompareTo(b);
        });
        return positions;
    }

    private static double? Number(object? value) => ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null;

    private static bool Missing(object? value) => value is null || (Number(value) is { } d && !double.IsFinite(d));
}
