namespace Expt.Execution.Workers;

/// <summary>
/// Keeps the machine from running out of memory, as GNU parallel's <c>--memfree</c> does: when the memory available
/// falls below the reserve while trials run, the youngest running trial is stopped and goes back to the queue (not
/// failed, no attempt used) and fewer trials run at once from then on. The last running trial is never stopped: it
/// may be the one that finishes.
/// </summary>
internal sealed class MemoryGuard(WorkerOptions options, TimeProvider time, HeldTrials held, WorkerCounters counters)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Resources is not { } pool || options.MemoryInfo is not { } read || options.MemoryCheck <= TimeSpan.Zero)
        {
            return;
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.MemoryCheck, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (read() is not { } memory || memory.Available >= Resources.MachineCapacity.Reserve(memory.Total))
            {
                continue;
            }
            var running = held.All.Where(h => h.Running && !h.GiveBack && !h.Cancellation.IsCancellationRequested).ToList();
            if (running.Count <= 1)
            {
                continue;
            }
            var youngest = running.MaxBy(h => h.StartedAt)!;
            pool.LowerConcurrency(running.Count - 1);
            youngest.GiveBack = true;
            youngest.StoppedForMemory = true;
            counters.StoppedForMemory();
            youngest.Cancel();
        }
    }
}
