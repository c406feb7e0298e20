using System.Globalization;

namespace Expt.Resources;

/// <summary>Sizes as people read them: <c>512 MiB</c>, <c>3 GiB</c>.</summary>
public static class Sizes
{
    /// <summary>A byte count in the largest binary unit that keeps it at least 1 (one decimal beyond KiB).</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 40 => Unit(bytes, 1L << 40, "TiB"),
        >= 1L << 30 => Unit(bytes, 1L << 30, "GiB"),
        >= 1L << 20 => Unit(bytes, 1L << 20, "MiB"),
        >= 1L << 10 => Unit(bytes, 1L << 10, "KiB"),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private static string Unit(long bytes, long unit, string name) =>
        ((double)bytes / unit).ToString("0.#", CultureInfo.InvariantCulture) + " " + name;
}
