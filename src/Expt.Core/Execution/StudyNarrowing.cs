using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Keeps a study's unfinished trials in step with its file when it runs again. A pending trial the file no longer
/// plans (an added exclude or where, a removed value) is withdrawn: cancelled with <see cref="TrialRows.WithdrawnError"/>
/// as its reason, listable, never run; one the file plans again comes back. A trial interrupted by a stopped run
/// resumes; one cancelled by hand (<see cref="TrialRows.CancelledError"/>) stays cancelled until <c>expt retry</c>.
/// Points added with <c>expt add</c> (<see cref="PointsAddedEvent"/>) belong to the study whatever its file says.
/// </summary>
internal sealed class StudyNarrowing
{
    /// <summary>The study event that records the points <c>expt add</c> added, by the key of their first replicate.</summary>
    public const string PointsAddedEvent = "points-added";

    // Only the study's pending and cancelled trials are looked at, so a re-run of a big finished study costs nothing.
    private readonly Dictionary<string, List<TrialRecord>> _byPoint;
    private readonly Dictionary<string, ParamSet> _points;
    private readonly HashSet<string> _planned = new(StringComparer.Ordinal);

    private StudyNarrowing(IReadOnlyList<TrialRecord> unfinished)
    {
        _byPoint = new Dictionary<string, List<TrialRecord>>(StringComparer.Ordinal);
        _points = new Dictionary<string, ParamSet>(StringComparer.Ordinal);
        foreach (var trial in unfinished)
        {
            var point = ParamSet.FromJson(trial.ParamsJson);
            var canonical = point.ToCanonicalJson();
            if (!_byPoint.TryGetValue(canonical, out var trials))
            {
                _byPoint[canonical] = trials = [];
                _points[canonical] = point;
            }
            trials.Add(trial);
        }
    }

    /// <summary>Reads the study's pending and cancelled trials; null when it has none (nothing to narrow or resume).</summary>
    public static async Task<StudyNarrowing?> StartAsync(IExptStore store, string studyId, CancellationToken cancellationToken)
    {
        var counts = await store.CountAsync(studyId, cancellationToken).ConfigureAwait(false);
        if (counts.GetValueOrDefault(TrialStatus.Pending) + counts.GetValueOrDefault(TrialStatus.Cancelled) == 0)
        {
            return null;
        }
        var unfinished = await store.ListTrialsAsync(new TrialFilter { StudyId = studyId, Statuses = [TrialStatus.Pending, TrialStatus.Cancelled], PreviewChars = 100 }, cancellationToken).ConfigureAwait(false);
        return unfinished.Count == 0 ? null : new StudyNarrowing(unfinished);
    }

    /// <summary>Notes a point of the file's plan (called for each planned trial as the plan streams past).</summary>
    public void Planned(ParamSet point)
    {
        var canonical = point.ToCanonicalJson();
        if (_byPoint.ContainsKey(canonical))
        {
            _planned.Add(canonical);
        }
    }

    /// <summary>Withdraws, brings back and resumes, and says what it did.</summary>
    public async Task<NarrowingReport> ApplyAsync(IExptStore store, string studyId, StudySpec spec, CancellationToken cancellationToken)
    {
        var added = await AddedPointsAsync(store, studyId, cancellationToken).ConfigureAwait(false);
        var withdraw = new List<string>();
        var requeue = new List<string>();
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var kept = 0;
        var still = 0;
        foreach (var (canonical, trials) in _byPoint)
        {
            var inFile = _planned.Contains(canonical) || added.Contains(TrialIdentity.Key(canonical, 0));
            foreach (var trial in trials)
            {
                var byHand = trial.Status == TrialStatus.Cancelled && trial.Error == TrialRows.CancelledError;
                var withdrawn = trial.Status == TrialStatus.Cancelled && trial.Error == TrialRows.WithdrawnError;
                if (byHand)
                {
                    kept++;
                }
                else if (inFile && trial.Status == TrialStatus.Cancelled)
                {
                    requeue.Add(trial.Id); // back in the file, or interrupted by a stopped run
                }
                else if (withdrawn && !inFile)
                {
                    still++;
                }
                else if (!inFile)
                {
                    if (trial.Status == TrialStatus.Cancelled)
                    {
                        requeue.Add(trial.Id); // interrupted, and now outside: pending first, then withdrawn below
                    }
                    withdraw.Add(trial.Id);
                    var why = spec.Space.Rejection(_points[canonical]) ?? "no longer among the file's points";
                    reasons[why] = reasons.GetValueOrDefault(why) + 1;
                }
            }
        }
        var restored = 0;
        foreach (var chunk in requeue.Chunk(1000))
        {
            restored += await store.ResetAsync(studyId, [TrialStatus.Cancelled], chunk, cancellationToken).ConfigureAwait(false);
        }
        var withdrew = 0;
        foreach (var chunk in withdraw.Chunk(1000))
        {
            withdrew += await store.WithdrawAsync(studyId, chunk, cancellationToken).ConfigureAwait(false);
        }
        var interruptedOutside = requeue.Intersect(withdraw, StringComparer.Ordinal).Count();
        var why2 = reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Take(3).Select(r => $"{r.Value:N0} {r.Key}");
        return new NarrowingReport(withdrew, Math.Max(0, restored - interruptedOutside), kept, still, reasons.Count == 0 ? null : string.Join("; ", why2) + (reasons.Count > 3 ? "; ..." : string.Empty));
    }

    private static async Task<HashSet<string>> AddedPointsAsync(IExptStore store, string studyId, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in await store.GetStudyEventsAsync(studyId, PointsAddedEvent, cancellationToken).ConfigureAwait(false))
        {
            if (StoredValues.Json(e.DataJson) is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("keys", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var key in list.EnumerateArray())
                {
                    if (key.ValueKind == JsonValueKind.String)
                    {
                        keys.Add(key.GetString()!);
                    }
                }
            }
        }
        return keys;
    }
}
