namespace Expt.Execution.Workers;

/// <summary>
/// How long an idle worker waits before it looks for work again. A thousand idle workers looking every second are a
/// thousand claims a second for nothing: the wait doubles with every empty claim up to a ceiling (never more than a
/// quarter of the lease, so a dead worker's trials are taken soon after their lease runs out), and is jittered between
/// half and all of it so workers that went idle together do not look together.
/// </summary>
internal static class IdleBackoff
{
    /// <summary>The wait after <paramref name="emptyClaims"/> empty claims in a row.</summary>
    /// <param name="emptyClaims">Empty claims in a row (0 or 1: the first wait).</param>
    /// <param name="options">The poll interval (the first wait), the ceiling and the lease.</param>
    /// <param name="jitter">A number in [0, 1): where between half and all of the wait this one falls.</param>
    public static TimeSpan Next(int emptyClaims, WorkerOptions options, double jitter)
    {
        var first = options.PollInterval.Ticks;
        var ceiling = Math.Max(first, Math.Min(options.IdlePollCeiling.Ticks, options.Lease.Ticks / 4));
        var wait = emptyClaims <= 1 ? first : Math.Min(ceiling, first << Math.Min(emptyClaims - 1, 20));
        return TimeSpan.FromTicks((wait / 2) + (long)(jitter * (wait / 2)));
    }
}
