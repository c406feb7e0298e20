using Expt.Storage;

namespace Expt.Execution;

/// <summary>Runs one attempt of a trial: in-process C# code, a command, or a worker process.</summary>
public interface ITrialExecutor
{
    /// <summary>
    /// Runs the attempt to its end and says how it ended; it never throws for a trial's own failure. The executor
    /// enforces its time limit (outcome <c>timeout</c>); <paramref name="cancellationToken"/> interrupts the trial
    /// (outcome <c>cancelled</c>).
    /// </summary>
    Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken);
}
