using System.Text.Json;
using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// Makes an interrupted enqueue visible. Enqueueing is idempotent (one trial per key), so a study whose enqueue was
/// cut short (kill -9 during <c>expt run --enqueue-only</c> or <c>expt add</c>) is finished by running the same command
/// again; what was missing is that nothing said so. Each enqueue is recorded as a study event when it starts (how
/// many trials the study will then have, who enqueues, where) and when it finishes; a study whose last enqueue started
/// and did not finish, and has fewer trials than it expected, is reported by <c>expt studies</c>, <c>status</c>,
/// <c>run</c>, <c>worker</c> and <c>doctor</c>.
/// </summary>
public static class EnqueueProgress
{
    /// <summary>The kind of the study events.</summary>
    public const string EventKind = "enqueue";

    /// <summary>Records that an enqueue starts.</summary>
    /// <param name="store">The store.</param>
    /// <param name="studyId">The study.</param>
    /// <param name="expected">The trials the study will have once it finishes.</param>
    /// <param name="exact">False when <paramref name="expected"/> is an upper bound.</param>
    /// <param name="by">What enqueues (<c>expt run</c>, <c>expt add</c>).</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static Task StartAsync(IStudyCatalog store, string studyId, long expected, bool exact, string by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var data = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["state"] = "started",
            ["expected"] = expected,
            ["exact"] = exact,
            ["by"] = by,
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["start"] = ProcessTree.StartTicks(Environment.ProcessId),
        });
        return store.AddStudyEventAsync(studyId, EventKind, data, cancellationToken);
    }

    /// <summary>Records that an enqueue finished (every trial of its plan is in the store).</summary>
    public static Task FinishAsync(IStudyCatalog store, string studyId, long added, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.AddStudyEventAsync(studyId, EventKind, JsonSerializer.Serialize(new Dictionary<string, object> { ["state"] = "finished", ["added"] = added }), cancellationToken);
    }

    /// <summary>The study's unfinished enqueue, or null when every enqueue finished (or the study has what it expected).</summary>
    /// <param name="store">The store.</param>
    /// <param name="studyId">The study.</param>
    /// <param name="present">How many trials the study has now.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static async Task<EnqueueState?> ReadAsync(IStudyCatalog store, string studyId, long present, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var events = await store.GetStudyEventsAsync(studyId, EventKind, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0 || StoredValues.Json(events[^1].DataJson) is not { ValueKind: JsonValueKind.Object } last)
        {
            return null;
        }
        if (Text(last, "state") != "started" || Number(last, "expected") is not { } expected || present >= expected)
        {
            return null;
        }
        var host = Text(last, "host") ?? "?";
        bool? alive = null;
        if (host == Environment.MachineName && Number(last, "pid") is { } pid and > 0 and < int.MaxValue)
        {
            alive = pid == Environment.ProcessId || (Number(last, "start") is { } start && ProcessTree.IsRunning((int)pid, start));
        }
        var exact = !last.TryGetProperty("exact", out var e) || e.ValueKind != JsonValueKind.False;
        return new EnqueueState(present, expected, exact, Text(last, "by") ?? "expt", host, alive);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;
}
