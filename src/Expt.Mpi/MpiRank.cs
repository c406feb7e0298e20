using System.Text;
using Expt.Execution;
using Expt.Isolation;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Mpi;

/// <summary>
/// A trial rank (1..K-1): runs the trials rank 0 sends, one at a time, with the study's own executor, and sends each
/// outcome back. It never touches the store.
/// </summary>
public static class MpiRank
{
    /// <summary>Runs what rank 0 sends until it says stop; <paramref name="interrupted"/> (SIGTERM/SIGINT forwarded by mpiexec) stops the running trial.</summary>
    public static async Task<int> RunAsync(MpiComm comm, ITrialExecutor executor, CancellationToken interrupted)
    {
        // What this rank has (under Slurm, its task's allocation), told to rank 0 so trials come where they fit; a trial
        // is given this rank's cores and GPU devices as a local worker would give them.
        var capacity = Resources.CapacityDetector.Detect(null, null, null, Environment.GetEnvironmentVariable);
        var pool = new Resources.ResourcePool(capacity, TimeSpan.FromMinutes(1));
        comm.Send(0, MpiTags.Capacity, Encoding.UTF8.GetBytes(MpiCoordinator.FormatCapacity(capacity)));
        CancellationTokenSource? current = null;
        Task running = Task.CompletedTask;
        var gate = new Lock();
        // mpiexec forwards SIGTERM/SIGINT: stop the running trial (its process tree is killed) and leave.
        using var interrupts = interrupted.Register(() =>
        {
            lock (gate)
            {
                current?.Cancel();
            }
        });
        while (true)
        {
            // Blocks in MPI_Probe until rank 0 says something: no polling.
            var (_, tag, message) = await Task.Run(() => comm.Receive(0), CancellationToken.None).ConfigureAwait(false);
            switch (tag)
            {
                case MpiTags.Trial:
                    await running.ConfigureAwait(false);
                    var context = TrialHostProtocol.ParseRequest(Encoding.UTF8.GetString(message));
                    var grant = pool.Grant(context.Lease.Needs) ?? Resources.ResourceGrant.None;
                    context = context with { Grant = grant };
                    var cancellation = new CancellationTokenSource();
                    lock (gate)
                    {
                        current = cancellation;
                    }
                    // Not tied to 'interrupted': an interrupt cancels the trial, whose outcome must still reach rank 0.
                    running = Task.Run(async () =>
                    {
                        TrialOutcome outcome;
                        try
                        {
                            outcome = await executor.ExecuteAsync(context, cancellation.Token).ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            outcome = new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, Error: $"rank {comm.Rank}: {ex.Message}");
                        }
                        pool.Return(grant, started: false);
                        outcome = outcome with { Place = new TrialPlace(Environment.MachineName, Environment.ProcessId, comm.Rank) };
                        comm.Send(0, MpiTags.Result, Encoding.UTF8.GetBytes(TrialHostProtocol.Response(outcome)));
                    }, CancellationToken.None);
                    break;
                case MpiTags.Cancel:
                    lock (gate)
                    {
                        current?.Cancel();
                    }
                    break;
                case MpiTags.Stop:
                    await running.ConfigureAwait(false);
                    comm.Send(0, MpiTags.Bye, []);
                    comm.Shutdown();
                    return 0;
            }
        }
    }
}
