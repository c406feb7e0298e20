namespace Expt.Execution.Workers;

/// <summary>
/// What a worker knows of its store: when it last answered (a store out of reach for longer than a lease means the
/// leases are as good as lost), and whether it can still be written (a full disk: claiming stops, outcomes are spooled).
/// </summary>
internal sealed class StoreHealth(TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _broken = new();
    private long _lastContact = time.GetTimestamp();
    private volatile bool _lost;
    private volatile Exception? _failure;

    /// <summary>Cancelled once the store cannot be written: the worker stops claiming.</summary>
    public CancellationToken Broken => _broken.Token;

    /// <summary>The store was out of reach too long: leases are presumed taken, nothing more is written.</summary>
    public bool Lost => _lost;

    /// <summary>Why the store cannot be written, once it cannot.</summary>
    public Exception? Failure => _failure;

    /// <summary>The store answered.</summary>
    public void Contact() => Interlocked.Exchange(ref _lastContact, time.GetTimestamp());

    /// <summary>True once the store has not answered for longer than <paramref name="budget"/>.</summary>
    public bool OutOfReach(TimeSpan budget) => time.GetElapsedTime(Interlocked.Read(ref _lastContact)) > budget;

    public void MarkLost() => _lost = true;

    /// <summary>Records that the store cannot be written (the first reason is kept).</summary>
    public void RecordFailure(Exception failure) => _failure ??= failure;

    /// <summary>Records that the store cannot be written and stops claiming.</summary>
    public async Task BreakAsync(Exception failure)
    {
        RecordFailure(failure);
        await _broken.CancelAsync().ConfigureAwait(false);
    }

    public void Dispose() => _broken.Dispose();
}
