using System.Text;
using Expt.Cli.Isolation;
using Expt.Execution;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Mpi;

/// <summary>
/// A trial rank (1..K-1): runs the trials rank 0 sends, one at a time, with the study's own executor, and sends each
/// outcome back. It never touches the store.
/// </summary>
internal static class MpiRank
{
    public static async Task<int> RunAsync(MpiComm comm, ITrialExecutor executor, CliEnvironment env)
    {
        CancellationTokenSource? current = null;
        Task running = Task.CompletedTask;
        var gate = new Lock();
        // mpiexec forwards SIGTERM/SIGINT: stop the running trial (its process tree is killed) and leave.
        using var interrupts = env.Interrupts.Subscribe(_ =>
        {
            lock (gate)
            {
                current?.Cancel();
            }
        });
        while (true)
        {
            // Blocks in MPI_Probe until rank 0 says something: no polling.
            var (_, tag, message) = await Task.Run(() => comm.Receive(0)).ConfigureAwait(false);
            switch (tag)
            {
                case MpiTags.Trial:
                    await running.ConfigureAwait(false);
                    var context = TrialHostProtocol.ParseRequest(Encoding.UTF8.GetString(message));
                    var cancellation = new CancellationTokenSource();
                    lock (gate)
                    {
                        current = cancellation;
                    }
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
                        outcome = outcome with { Place = new TrialPlace(Environment.MachineName, Environment.ProcessId, comm.Rank) };
                        comm.Send(0, MpiTags.Result, Encoding.UTF8.GetBytes(TrialHostProtocol.Response(outcome)));
                    });
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
                    return ExitCodes.Success;
            }
        }
    }
}
