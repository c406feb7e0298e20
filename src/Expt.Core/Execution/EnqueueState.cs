using System.Globalization;

namespace Expt.Execution;

/// <summary>A study whose trials are not all enqueued: an enqueue began and did not finish (interrupted, or still going).</summary>
/// <param name="Present">The trials the study has now.</param>
/// <param name="Expected">The trials it will have once the enqueue finishes (or at most, when the plan's size is not exact).</param>
/// <param name="Exact">True when <paramref name="Expected"/> is exact.</param>
/// <param name="By">What enqueued: <c>expt run</c> or <c>expt add</c>.</param>
/// <param name="Host">The machine it ran on.</param>
/// <param name="Alive">True when the process that enqueues still runs (known on its own machine only); null when not known.</param>
public sealed record EnqueueState(long Present, long Expected, bool Exact, string By, string Host, bool? Alive)
{
    /// <summary>For people: <c>enqueue interrupted at 40,000 of 300,000 trials (expt run on host-a); run it again to finish</c>.</summary>
    public override string ToString()
    {
        var of = (Exact ? string.Empty : "at most ") + Expected.ToString("N0", CultureInfo.InvariantCulture);
        var state = Alive switch
        {
            true => $"being enqueued: {Present.ToString("N0", CultureInfo.InvariantCulture)} of {of} trials so far ({By} on {Host})",
            false => $"enqueue interrupted at {Present.ToString("N0", CultureInfo.InvariantCulture)} of {of} trials ({By} on {Host}); run it again to finish",
            null => $"enqueue not finished: {Present.ToString("N0", CultureInfo.InvariantCulture)} of {of} trials ({By} on {Host}, interrupted or still going); run it again to finish",
        };
        return state;
    }
}
