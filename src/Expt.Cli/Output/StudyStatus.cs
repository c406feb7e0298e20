using System.Globalization;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>One view of a study's progress across all workers: what <c>expt status</c> prints.</summary>
internal sealed record StudyStatus(string Study, StudyProgress Progress, TimeSpan Window, DateTimeOffset? FirstStarted)
{
    /// <summary>The database server's connections, for a store on a server; null for a file.</summary>
    public ServerConnections? Connections { get; init; }

    /// <summary>An enqueue that did not finish (the study is missing trials), or null.</summary>
    public Execution.EnqueueState? Enqueue { get; init; }

    /// <summary>"server connections: 12 in use of 100 (8 by expt)", or null.</summary>
    public string? ConnectionsLine => Connections is { } c ? $"server connections: {c.InUse} in use of {c.Limit} ({c.ByExpt} by expt){(c.PgBouncer ? "; reached through PgBouncer (transaction mode)" : string.Empty)}" : null;

    /// <summary>The cancelled trials by why they are cancelled (read only when some are).</summary>
    public IReadOnlyDictionary<CancelReason, int> Cancelled { get; init; } = new Dictionary<CancelReason, int>();

    public int Total => Progress.Counts.Values.Sum();

    public int Count(TrialStatus status) => Progress.Counts.GetValueOrDefault(status);

    // Cancelled trials did not run: counted apart, never as done (expt run runs them again, expt retry too).
    public int Done => Total - Count(TrialStatus.Pending) - Count(TrialStatus.Running) - Count(TrialStatus.Cancelled);

    /// <summary>Trials finished per second over the window (or since the first start, when that is shorter).</summary>
    public double Rate
    {
        get
        {
            var span = FirstStarted is { } first && Progress.Now - first < Window ? Progress.Now - first : Window;
            return span.TotalSeconds <= 0 ? 0 : Progress.FinishedSince / span.TotalSeconds;
        }
    }

    public TimeSpan? Eta
    {
        get
        {
            var left = Count(TrialStatus.Pending) + Count(TrialStatus.Running);
            return left == 0 ? TimeSpan.Zero : Rate > 0 ? TimeSpan.FromSeconds(left / Rate) : null;
        }
    }

    /// <summary>Running trials whose lease ran out: their worker died or lost the store; the next claim requeues them.</summary>
    public IReadOnlyList<TrialRecord> Stale => Progress.Running.Where(t => t.LeaseUntil < Progress.Now).ToList();

    /// <summary>Workers holding live leases, busiest first.</summary>
    public IReadOnlyList<WorkerView> Workers => Progress.Running
        .Where(t => t.LeaseUntil >= Progress.Now)
        .GroupBy(t => t.LeaseOwner ?? "?")
        .Select(g => new WorkerView(g.Key, g.First().Host, g.First().Pid, g.ToList(), g.Max(t => t.Heartbeat)))
        .OrderByDescending(w => w.Trials.Count)
        .ThenBy(w => w.Id, StringComparer.Ordinal)
        .ToList();

    internal sealed record WorkerView(string Id, string? Host, int? Pid, IReadOnlyList<TrialRecord> Trials, DateTimeOffset? LastHeartbeat);

    public string Headline()
    {
        var percent = Total == 0 ? 100 : 100.0 * Done / Total;
        var eta = Eta is { } e ? DurationParser.Format(e) : "unknown";
        return $"study {Study}: {Total} trials, {Done} done ({percent:0.#}%): {Count(TrialStatus.Completed)} completed, " +
            $"{Count(TrialStatus.Failed) + Count(TrialStatus.Timeout)} failed, {Count(TrialStatus.Cancelled)} cancelled{CancelledDetail()}, " +
            $"{Count(TrialStatus.Running)} running, {Count(TrialStatus.Pending)} pending; " +
            $"rate {Rate.ToString("0.##", CultureInfo.InvariantCulture)} trials/s, ETA {eta}";
    }

    // "(2 by hand, 1 withdrawn)": a by-hand cancel stays until expt retry, an interrupted trial resumes with expt run.
    private string CancelledDetail()
    {
        var parts = Enum.GetValues<CancelReason>().Where(r => Cancelled.GetValueOrDefault(r) > 0).Select(r => $"{Cancelled[r]} {r.Name()}").ToList();
        return parts.Count == 0 ? string.Empty : " (" + string.Join(", ", parts) + ")";
    }

    public TableData WorkersTable()
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var w in Workers)
        {
            rows.Add([w.Host ?? "?", w.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?", w.Trials.Count.ToString(CultureInfo.InvariantCulture),
                string.Join(' ', w.Trials.Take(3).Select(t => t.Id)) + (w.Trials.Count > 3 ? " …" : string.Empty), Ago(w.LastHeartbeat), w.Id]);
        }
        return new TableData(["HOST", "PID", "RUNNING", "CURRENT", "HEARTBEAT", "WORKER"], rows)
        {
            RightAligned = new HashSet<int> { 1, 2 },
            Priority = [900, 600, 1000, 500, 700, 400],
            Shrinkable = new HashSet<int> { 0, 3, 5 },
        };
    }

    public TableData StaleTable() => new(
        ["TRIAL", "HOST", "PID", "LEASE EXPIRED", "ATTEMPT"],
        Stale.Select(t => (IReadOnlyList<string>)[t.Id, t.Host ?? "?", t.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?", Ago(t.LeaseUntil),
            $"{t.Attempts}/{t.MaxAttempts}"]).ToList()) { Priority = [1000, 900, 600, 800, 700], Shrinkable = new HashSet<int> { 1 } };

    private string Ago(DateTimeOffset? time) => time is { } t ? DurationParser.Format(Progress.Now - t < TimeSpan.Zero ? TimeSpan.Zero : Progress.Now - t) + " ago" : "-";

    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("study", Study);
        w.WriteNumber("total", Total);
        w.WriteNumber("done", Done);
        w.WriteStartObject("counts");
        foreach (var status in Enum.GetValues<TrialStatus>())
        {
            w.WriteNumber(status.ToName(), Count(status));
        }
        w.WriteEndObject();
        w.WriteStartObject("cancelled");
        foreach (var reason in Enum.GetValues<CancelReason>())
        {
            w.WriteNumber(reason.Name().Replace(' ', '_'), Cancelled.GetValueOrDefault(reason));
        }
        w.WriteEndObject();
        w.WriteNumber("rate_per_s", Math.Round(Rate, 3));
        if (Eta is { } eta)
        {
            w.WriteNumber("eta_s", Math.Round(eta.TotalSeconds, 1));
        }
        else
        {
            w.WriteNull("eta_s");
        }
        WriteEnqueue(w, Enqueue);
        if (Connections is { } connections)
        {
            w.WriteStartObject("connections");
            w.WriteNumber("in_use", connections.InUse);
            w.WriteNumber("by_expt", connections.ByExpt);
            w.WriteNumber("limit", connections.Limit);
            w.WriteBoolean("pgbouncer", connections.PgBouncer);
            w.WriteEndObject();
        }
        w.WriteStartArray("workers");
        foreach (var worker in Workers)
        {
            w.WriteStartObject();
            w.WriteString("id", worker.Id);
            w.WriteString("host", worker.Host);
            if (worker.Pid is { } pid)
            {
                w.WriteNumber("pid", pid);
            }
            w.WriteStartArray("trials");
            foreach (var t in worker.Trials)
            {
                w.WriteStringValue(t.Id);
            }
            w.WriteEndArray();
            TrialJson.WriteTime(w, "last_heartbeat", worker.LastHeartbeat);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("stale_leases");
        foreach (var t in Stale)
        {
            w.WriteStartObject();
            w.WriteString("trial", t.Id);
            w.WriteString("worker", t.LeaseOwner);
            w.WriteString("host", t.Host);
            if (t.Pid is { } pid)
            {
                w.WriteNumber("pid", pid);
            }
            TrialJson.WriteTime(w, "lease_until", t.LeaseUntil);
            w.WriteNumber("attempt", t.Attempts);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>An unfinished enqueue as JSON: <c>"enqueue": {"state": "interrupted", "present": N, "expected": M, ...}</c>, or null.</summary>
    public static void WriteEnqueue(System.Text.Json.Utf8JsonWriter w, Execution.EnqueueState? enqueue)
    {
        if (enqueue is null)
        {
            w.WriteNull("enqueue");
            return;
        }
        w.WriteStartObject("enqueue");
        w.WriteString("state", enqueue.Alive switch { true => "running", false => "interrupted", null => "unfinished" });
        w.WriteNumber("present", enqueue.Present);
        w.WriteNumber("expected", enqueue.Expected);
        w.WriteBoolean("exact", enqueue.Exact);
        w.WriteString("by", enqueue.By);
        w.WriteString("host", enqueue.Host);
        w.WriteString("message", enqueue.ToString());
        w.WriteEndObject();
    }
}
