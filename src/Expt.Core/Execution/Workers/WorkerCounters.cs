using Expt.Trials;

namespace Expt.Execution.Workers;

/// <summary>What a worker counts as it goes, for its <see cref="WorkerReport"/>, and how long its trials take.</summary>
internal sealed class WorkerCounters
{
    private readonly OutcomeTally _tally = new();
    private int _refused, _givenBack, _cancelledInStore, _spooled, _unkept, _memoryStops;
    private double _averageMs = 1000;

    /// <summary>A moving average of trial durations, which decides how far ahead to claim.</summary>
    public double AverageMs => Volatile.Read(ref _averageMs);

    public int Spooled => Volatile.Read(ref _spooled);

    public int Unkept => Volatile.Read(ref _unkept);

    public void Timed(TimeSpan duration) => Volatile.Write(ref _averageMs, (AverageMs * 0.9) + (duration.TotalMilliseconds * 0.1));

    public void Finished(TrialStatus status) => _tally.Add(status);

    public void Refused() => Interlocked.Increment(ref _refused);

    public void StoppedForMemory() => Interlocked.Increment(ref _memoryStops);

    public void GivenBack() => Interlocked.Increment(ref _givenBack);

    public void CancelledInStore()
    {
        _tally.Add(TrialStatus.Cancelled);
        Interlocked.Increment(ref _cancelledInStore);
    }

    public void Spool(bool kept) => Interlocked.Increment(ref kept ? ref _spooled : ref _unkept);

    public WorkerReport Report(TimeSpan elapsed, int unstarted) =>
        new(_tally.Completed, _tally.Failed, _tally.TimedOut, _tally.Cancelled, Volatile.Read(ref _refused), elapsed)
        {
            GivenBack = Volatile.Read(ref _givenBack) + unstarted,
            CancelledInStore = Volatile.Read(ref _cancelledInStore),
            StoppedForMemory = Volatile.Read(ref _memoryStops),
        };
}
