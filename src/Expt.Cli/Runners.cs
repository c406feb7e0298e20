using Expt.Execution;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// What every command that runs trials does around its worker, said to the user: first recovery
/// (<see cref="RunnerRecovery"/>: the spool, the runners of this host that died), then record itself, and remove its
/// record when it ends normally.
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
        RunnerRecovery.Report report;
        try
        {
            report = await RunnerRecovery.RecoverAsync(store, spoolPath, _registry, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            throw new UserException(ex.Message, ExitCodes.StoreError);
        }
        if (report.Kept > 0)
        {
            await env.Error.WriteLineAsync($"recorded {Text.Counted.Of(report.Recorded, "trial outcome")} kept in {spoolPath} while the store could not be written" +
                (report.Recorded < report.Kept ? $"; {Text.Counted.Of(report.Kept - report.Recorded, "was", "were")} no longer needed (their trials had run again)" : string.Empty)).ConfigureAwait(false);
        }
        foreach (var dead in report.Dead.Where(d => d.GivenBack > 0 || d.ProcessesEnded > 0))
        {
            await env.Error.WriteLineAsync(
                $"a runner on this host died (pid {dead.Pid}): its running trials were given back ({dead.GivenBack}), without using up a retry" +
                (dead.ProcessesEnded > 0 ? $"; {dead.ProcessesEnded} of its processes were still running and were ended" : string.Empty)).ConfigureAwait(false);
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
