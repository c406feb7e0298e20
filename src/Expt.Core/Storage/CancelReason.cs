using Expt.Trials;

namespace Expt.Storage;

/// <summary>Why a trial is cancelled, which decides what the next <c>expt run</c> does with it.</summary>
public enum CancelReason
{
    /// <summary>A stopped run (Ctrl+C, a signal) interrupted it: the next run resumes it.</summary>
    Interrupted,

    /// <summary>Cancelled with <c>expt cancel</c> or the dashboard: stays cancelled until <c>expt retry</c>.</summary>
    ByHand,

    /// <summary>The study's file no longer plans it: back when the file plans it again.</summary>
    Withdrawn,
}

/// <summary>Reads a cancelled trial's reason from its stored error.</summary>
public static class CancelReasons
{
    /// <summary>The reason of a cancelled trial; null for a trial that is not cancelled.</summary>
    public static CancelReason? Of(TrialRecord trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return trial.Status != TrialStatus.Cancelled ? null
            : trial.Error == TrialRows.CancelledError ? CancelReason.ByHand
            : trial.Error == TrialRows.WithdrawnError ? CancelReason.Withdrawn
            : CancelReason.Interrupted;
    }

    /// <summary>The reason as listings name it: interrupted, by-hand, withdrawn.</summary>
    public static string Name(this CancelReason reason) => reason switch
    {
        CancelReason.ByHand => "by hand",
        CancelReason.Withdrawn => "withdrawn",
        _ => "interrupted",
    };
}
