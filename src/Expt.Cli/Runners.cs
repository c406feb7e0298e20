using Expt.Execution;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// What every command that runs trials does around its worker: first recover the runners of this host that died
/// (their leftover processes ended, their trials back in the queue at once), then record itself, and remove its record
/// when it ends normally.
/// </summary>
internal sealed class Runners(CliEnvironment env, IExptStore store, string spoolPath) : IDisposable
{
    private readonly RunnerRegistry _registry = new(env.GetEnvironmentVariable("EXPT_RUNNERS_DIR"));
    private bool _completed;

    /// <summary>The spool this runner keeps outcomes in when the store cannot be written.</summary>
    public string SpoolPath => spoolPath;

    /// <summary>
    /// Before running anything: records the outcomes an earlier runner here kept in the spool, then recovers the
    /// runners of this host that died.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var kept = OutcomeSpool.Read(spoolPath);
        if (kept.Count > 0)
        {
            IReadOnlyList<bool> accepted;
            try
            {
                accepted = await store.CompleteAsync(kept, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                throw new UserException($"the store still cannot be written ({ex.Message}); {Text.Counted.Of(kept.Count, "trial outcome")} stay kept in {spoolPath}", ExitCodes.StoreError);
            }
            OutcomeSpool.Clear(spoolPath);
            var recorded = accepted.Count(a => a);
            await env.Error.WriteLineAsync($"recorded {Text.Counted.Of(recorded, "trial outcome")} kept in {spoolPath} while the store could not be written" +
                (recorded < kept.Count ? $"; {Text.Counted.Of(kept.Count - recorded, "was", "were")} no longer needed (their trials had run again)" : string.Empty)).ConfigureAwait(false);
        }
        foreach (var dead in _registry.RecoverDead(store.Description))
        {
            var given = await store.InterruptAsync(dead.Workers, AttemptPolicy.RunnerDied(Environment.MachineName, dead.Pid), cancellationToken).ConfigureAwait(false);
            if (given > 0 || dead.ProcessesEnded > 0)
            {
                await env.Error.WriteLineAsync(
                    $"a runner on this host died (pid {dead.Pid}): its running trials were given back ({given}), without using up a retry" +
                    (dead.ProcessesEnded > 0 ? $"; {dead.ProcessesEnded} of its processes were still running and were ended" : string.Empty)).ConfigureAwait(false);
            }
        }
    }

    public void Register(WorkerOptions options) => _registry.Register(options.Identity.Id, store.Description);

    /// <summary>The worker ended normally: nothing of this runner needs recovering.</summary>
    public void Completed() => _completed = true;

    // After a failure the record stays: the next runner here gives back the leases this one could not.
    public void Dispose()
    {
        if (_completed)
        {
            _registry.Unregister();
        }
    }
}
