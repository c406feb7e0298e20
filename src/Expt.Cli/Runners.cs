using Expt.Execution;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// What every command that runs trials does around its worker: first recover the runners of this host that died
/// (their leftover processes ended, their trials back in the queue at once), then record itself, and remove its record
/// when it ends normally.
/// </summary>
internal sealed class Runners(CliEnvironment env, IExptStore store) : IDisposable
{
    private readonly RunnerRegistry _registry = new(env.GetEnvironmentVariable("EXPT_RUNNERS_DIR"));

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
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

    public void Dispose() => _registry.Unregister();
}
