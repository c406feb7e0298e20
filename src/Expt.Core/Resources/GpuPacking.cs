namespace Expt.Resources;

/// <summary>
/// Which GPUs a trial gets: a fraction of one goes to the fullest device it still fits on (so fractions share devices
/// and whole devices stay free for whole-GPU trials); whole GPUs go only to devices nobody uses.
/// </summary>
public static class GpuPacking
{
    /// <summary>
    /// Picks devices for <paramref name="needMilli"/> thousandths of a GPU from <paramref name="freeMilli"/> (each device's
    /// free thousandths, 1000 when unused) and takes them; false, with nothing taken, when it does not fit.
    /// </summary>
    public static bool TryTake(int[] freeMilli, int needMilli, out int[] devices)
    {
        ArgumentNullException.ThrowIfNull(freeMilli);
        devices = [];
        if (needMilli <= 0)
        {
            return true;
        }
        if (needMilli < 1000)
        {
            var best = -1;
            for (var i = 0; i < freeMilli.Length; i++)
            {
                if (freeMilli[i] >= needMilli && (best < 0 || freeMilli[i] < freeMilli[best]))
                {
                    best = i;
                }
            }
            if (best < 0)
            {
                return false;
            }
            freeMilli[best] -= needMilli;
            devices = [best];
            return true;
        }
        var whole = needMilli / 1000;
        var unused = Enumerable.Range(0, freeMilli.Length).Where(i => freeMilli[i] == 1000).Take(whole).ToArray();
        if (unused.Length < whole)
        {
            return false;
        }
        foreach (var i in unused)
        {
            freeMilli[i] = 0;
        }
        devices = unused;
        return true;
    }

    /// <summary>Gives back what <see cref="TryTake"/> took.</summary>
    public static void Give(int[] freeMilli, int needMilli, IReadOnlyList<int> devices)
    {
        ArgumentNullException.ThrowIfNull(freeMilli);
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var i in devices)
        {
            freeMilli[i] = Math.Min(1000, freeMilli[i] + (needMilli < 1000 ? needMilli : 1000));
        }
    }
}
