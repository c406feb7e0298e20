namespace Expt.Trials;

/// <summary>
/// A <see cref="Random"/> whose sequence is fixed by its 64-bit seed on every runtime and machine
/// (xoshiro256** seeded through SplitMix64), unlike <c>new Random(int)</c>, whose algorithm .NET may change.
/// </summary>
public sealed class SeededRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public SeededRandom(long seed)
    {
        var x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next raw 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <inheritdoc />
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    protected override double Sample() => NextDouble();

    /// <inheritdoc />
    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    /// <inheritdoc />
    public override int Next() => (int)(NextUInt64() >> 33);

    /// <inheritdoc />
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc />
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)(minValue + (long)NextBounded((ulong)((long)maxValue - minValue)));
    }

    /// <inheritdoc />
    public override long NextInt64() => (long)(NextUInt64() >> 1);

    /// <inheritdoc />
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc />
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (long)NextBounded((ulong)(maxValue - minValue));
    }

    /// <inheritdoc />
    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    /// <inheritdoc />
    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(NextUInt64() >> 56);
        }
    }

    // Lemire's unbiased bounded integers: no modulo bias, one multiplication in the common case.
    private ulong NextBounded(ulong bound)
    {
        if (bound == 0)
        {
            return 0;
        }
        var threshold = (0 - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            var high = Math.BigMul(r, bound, out var low);
            if (low >= threshold)
            {
                return high;
            }
        }
    }
}
