using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// What every program that runs trials does before its worker starts (<c>expt run</c>, <c>expt worker</c>, a C# host):
/// record the outcomes an earlier runner here kept in its spool while the store could not be written, then recover
/// the runners of this host that died (their leftover processes ended, their running trials given back at once
/// without using up a retry).
/// </summary>
public static class RunnerRecovery
{
    /// <summary>A runner of this host that died, and what recovering it did.</summary>
    /// <param name="Pid">Its process id.</param>
    /// <param name="GivenBack">Its running trials returned to the queue.</param>
    /// <param name="ProcessesEnded">Its trials' processes that were still running and were ended.</param>
    public sealed record DeadRunner(int Pid, int GivenBack, int ProcessesEnded);

    /// <summary>What recovery did.</summary>
    /// <param name="Kept">Outcomes found in the spool.</param>
    /// <param name="Recorded">Of those, the ones the store accepted (the others' trials had run again).</param>
    /// <param name="Dead">Runners of this host that had died.</param>
    public sealed record Report(int Kept, int Recorded, IReadOnlyList<DeadRunner> Dead);

    /// <summary>Records the spool's outcomes and recovers this host's dead runners of <paramref name="store"/>.</summary>
    /// <exception cref="StoreUnavailableException">The spool's outcomes cannot be written yet; they stay in the spool.</exception>
    public static async Task<Report> RecoverAsync(IExptStore store, string spoolPath, RunnerRegistry registry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spoolPath);
        ArgumentNullException.ThrowIfNull(registry);
        var kept = OutcomeSpool.Read(spoolPath);
        var recorded = 0;
        if (kept.Count > 0)
        {
            IReadOnlyList<bool> accepted;
            try
            {
                accepted = await store.CompleteAsync(kept, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                throw new StoreUnavailableException($"the store still cannot be written ({ex.Message}); {Text.Counted.Of(kept.Count, "trial outcome")} stay kept in {spoolPath}", ex);
            }
            OutcomeSpool.Clear(spoolPath);
            recorded = accepted.Count(a => a);
        }
        var dead = new List<DeadRunner>();
        foreach (var runner in registry.RecoverDead(store.Description))
        {
            var given = await store.InterruptAsync(runner.Workers, AttemptPolicy.RunnerDied(Environment.MachineName, runner.Pid), cancellationToken).ConfigureAwait(false);
            dead.Add(new DeadRunner(runner.Pid, given, runner.ProcessesEnded));
        }
        return new Report(kept.Count, recorded, dead);
    }
}
