using Expt.Trials;

namespace Expt.Storage;

/// <summary>
/// When a trial runs again, in one place for every store. A failed or timed-out attempt is retried while attempts are
/// left (<c>retries</c> in the study). An interrupted attempt (its runner died, or its lease ran out) did nothing wrong:
/// it goes back to the queue at once without using up an attempt, and is recorded in the trial's history; after
/// <see cref="MaxInterruptions"/> interruptions in a row it fails, so a trial that kills its own runner (by exhausting
/// memory, say) cannot loop forever.
/// </summary>
public static class AttemptPolicy
{
    /// <summary>Interruptions after which a trial fails instead of going back to the queue.</summary>
    public const int MaxInterruptions = 3;

    /// <summary>True when an attempt that ended this way goes back to the queue.</summary>
    public static bool Retries(TrialStatus status, int attempt, int maxAttempts) =>
        status is TrialStatus.Failed or TrialStatus.Timeout && attempt < maxAttempts;

    /// <summary>Why a trial whose lease ran out went back to the queue.</summary>
    public const string LeaseExpired = "interrupted: its lease ran out (its worker stopped renewing it: killed, paused or cut off)";

    /// <summary>Why a dead runner's trial went back to the queue.</summary>
    public static string RunnerDied(string host, int pid) => $"interrupted: its runner (pid {pid} on {host}) died";

    /// <summary>The error of a trial that failed for being interrupted too often.</summary>
    public const string TooManyInterruptions = "interrupted 3 times in a row (its runner died or lost its lease each time); not run again by itself: expt retry runs it again";

    /// <summary>A history entry's reason or error: its first line, cut short.</summary>
    public static string Brief(string? text)
    {
        var line = (text ?? string.Empty).Split('\n', 2)[0];
        return line.Length > 200 ? line[..197] + "..." : line;
    }
}
