using System.Collections.Concurrent;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Dashboard;

/// <summary>
/// Keeps the studies being looked at in memory, so sorting and filtering 100,000 trials is a matter of milliseconds.
/// A study is reloaded when its counts by status change (looked at most once per poll interval): trials starting,
/// finishing, being retried or cancelled all change them.
/// </summary>
internal sealed class StudyCache(IExptStore store, DashboardOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _versions;

    private sealed class Entry
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public StudySnapshot? Snapshot { get; set; }

        public long CheckedAt { get; set; }
    }

    public IExptStore Store => store;

    /// <summary>Drawn metric histories of finished trials, by trial, status and point budget (a small, bounded cache).</summary>
    public ViewCache<(string Id, TrialStatus Status, int Budget), TrialEndpoints.MetricsView> Series { get; } = new();

    /// <summary>Loads the most recent studies into memory, so the first visitor does not wait for them.</summary>
    public async Task WarmUpAsync(int studies, CancellationToken cancellationToken)
    {
        foreach (var summary in (await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false)).OrderByDescending(s => s.Study.Created).Take(studies))
        {
            await GetAsync(summary.Study.Name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The study's current snapshot, or null when there is no such study.</summary>
    public async Task<StudySnapshot?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(name, _ => new Entry());
        if (entry.Snapshot is { } fresh && time.GetElapsedTime(entry.CheckedAt) < options.LivePollInterval)
        {
            return fresh;
        }
        await entry.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (entry.Snapshot is { } again && time.GetElapsedTime(entry.CheckedAt) < options.LivePollInterval)
            {
                return again;
            }
            var study = await store.GetStudyAsync(name, cancellationToken).ConfigureAwait(false);
            if (study is null)
            {
                _entries.TryRemove(name, out _);
                return null;
            }
            var counts = await store.CountAsync(study.Id, cancellationToken).ConfigureAwait(false);
            if (entry.Snapshot is not { } old || old.Study.Id != study.Id || !Same(old.Counts, counts))
            {
                var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
                entry.Snapshot = new StudySnapshot(study, trials, counts, Interlocked.Increment(ref _versions));
            }
            entry.CheckedAt = time.GetTimestamp();
            return entry.Snapshot;
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    /// <summary>Forgets what is cached for a study (after an action changed it).</summary>
    public void Invalidate(string name) => _entries.TryRemove(name, out _);

    private static bool Same(IReadOnlyDictionary<TrialStatus, int> a, IReadOnlyDictionary<TrialStatus, int> b) =>
        Enum.GetValues<TrialStatus>().All(s => a.GetValueOrDefault(s) == b.GetValueOrDefault(s));
}
