using System.Buffers.Binary;

namespace Expt.Storage;

/// <summary>
/// Packs and unpacks the points of one metric as three little-endian arrays (steps int64, values float64, times
/// int64 Unix ms), so stores keep a million points in a few hundred rows.
/// </summary>
public static class MetricChunk
{
    /// <summary>The most points one chunk holds.</summary>
    public const int MaxPoints = 8192;

    /// <summary>Packs points of one metric.</summary>
    public static (byte[] Steps, byte[] Values, byte[] Times) Pack(IReadOnlyList<MetricPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var steps = new byte[points.Count * 8];
        var values = new byte[points.Count * 8];
        var times = new byte[points.Count * 8];
        for (var i = 0; i < points.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(steps.AsSpan(i * 8), points[i].Step);
            BinaryPrimitives.WriteDoubleLittleEndian(values.AsSpan(i * 8), points[i].Value);
            BinaryPrimitives.WriteInt64LittleEndian(times.AsSpan(i * 8), points[i].Time.ToUnixTimeMilliseconds());
        }
        return (steps, values, times);
    }

    /// <summary>Unpacks a chunk, appending its points to <paramref name="into"/>.</summary>
    public static void Unpack(string name, int count, ReadOnlySpan<byte> steps, ReadOnlySpan<byte> values, ReadOnlySpan<byte> times, List<MetricPoint> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        // A chunk whose arrays are shorter than its count (a damaged or hand-written row) gives what it holds.
        count = Math.Min(Math.Max(count, 0), Math.Min(steps.Length, Math.Min(values.Length, times.Length)) / 8);
        for (var i = 0; i < count; i++)
        {
            into.Add(new MetricPoint(name, BinaryPrimitives.ReadInt64LittleEndian(steps[(i * 8)..]), BinaryPrimitives.ReadDoubleLittleEndian(values[(i * 8)..]),
                StoredValues.UnixMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(times[(i * 8)..]))));
        }
    }

    /// <summary>Splits points into chunks of one metric each, in order.</summary>
    public static IEnumerable<(string Name, IReadOnlyList<MetricPoint> Points)> Split(IReadOnlyList<MetricPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        foreach (var group in points.GroupBy(p => p.Name, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(MaxPoints))
            {
                yield return (group.Key, chunk);
            }
        }
    }
}
