using Expt.Storage;

namespace Expt.Execution;

/// <summary>Hears what a worker does, for progress displays. Called from several threads; keep it cheap.</summary>
public interface IWorkerObserver
{
    /// <summary>A slot started a trial.</summary>
    void TrialStarted(TrialContext context);

    /// <summary>
    /// A trial ended and the store has its outcome; <paramref name="accepted"/> is false when the store refused it
    /// because the lease was lost meanwhile.
    /// </summary>
    void TrialFinished(TrialContext context, TrialOutcome outcome, bool accepted);
}
