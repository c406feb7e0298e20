using Expt.Resources;
using Expt.Trials;
using Npgsql;
using NpgsqlTypes;

namespace Expt.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string ClearLease = TrialRows.ClearLease;

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialLease>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Max, 1);
        return RunAsync<IReadOnlyList<TrialLease>>(async (connection, tx) =>
        {
            var now = Now;
            var study = request.StudyId is null ? string.Empty : " AND study_id = @s";
            // Leases that ran out are given back as interrupted (see AttemptPolicy). SKIP LOCKED: rows another worker is
            // expiring or completing right now are left to it.
            await InterruptAsync(connection, tx, now, $"SELECT id FROM trials WHERE status = 'running' AND lease_until < @now{study} FOR UPDATE SKIP LOCKED", AttemptPolicy.LeaseExpired, command =>
            {
                if (request.StudyId is not null)
                {
                    command.Parameters.AddWithValue("s", StudyKey(request.StudyId));
                }
            }, cancellationToken).ConfigureAwait(false);

            var until = now + request.Lease;
            string[]? chosen = null;
            if (request.Budget is { } budget)
            {
                // Resources: lock more pending trials than places, and take those that fit (see ResourceBudget); the
                // others are unlocked when the transaction ends.
                chosen = await FittingCandidatesAsync(connection, tx, request, budget, study, cancellationToken).ConfigureAwait(false);
                if (chosen.Length == 0)
                {
                    return [];
                }
            }
            var picked = chosen is not null
                ? "SELECT unnest(@chosen) AS id"
                : "SELECT id FROM trials WHERE status = 'pending'" + study + (request.Ids is null ? string.Empty : " AND id = ANY(@only)") + " ORDER BY study_id, priority DESC, seq LIMIT @max FOR UPDATE SKIP LOCKED";
            using var claim = Command(
                "WITH picked AS (" + picked + "), " +
                "token AS (SELECT nextval('lease_tokens') AS value) " +
                "UPDATE trials t SET status = 'running', lease_owner = @w, lease_token = token.value, lease_until = @until, heartbeat = @now, " +
                "attempts = t.attempts + 1, started = @now, finished = NULL, duration_ms = NULL, host = @h, pid = @p, provenance = @prov, run = @run, rank = NULL " +
                "FROM picked, token WHERE t.id = picked.id " +
                "RETURNING t.id, t.study_id, t.key, t.replicate, t.params, t.seed, t.attempts, t.seq, t.max_attempts, t.lease_token, t.cpus, t.memory, t.gpu_milli, t.memory_limit", connection, tx);
            claim.Parameters.AddWithValue("max", request.Max);
            if (chosen is not null)
            {
                claim.Parameters.AddWithValue("chosen", chosen);
            }
            claim.Parameters.AddWithValue("w", request.Worker.Id);
            claim.Parameters.AddWithValue("until", until);
            claim.Parameters.AddWithValue("now", now);
            claim.Parameters.AddWithValue("h", request.Worker.Host);
            claim.Parameters.AddWithValue("p", request.Worker.Pid);
            claim.Parameters.AddWithValue("prov", NpgsqlDbType.Text, (object?)request.ProvenanceJson ?? DBNull.Value);
            claim.Parameters.AddWithValue("run", NpgsqlDbType.Text, (object?)request.RunId ?? DBNull.Value);
            if (request.Ids is not null)
            {
                claim.Parameters.AddWithValue("only", request.Ids.ToArray());
            }
            if (request.StudyId is not null)
            {
                claim.Parameters.AddWithValue("s", StudyKey(request.StudyId));
            }
            var claimed = new List<(long Seq, long StudyId, TrialLease Lease)>();
            using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var studyId = reader.GetInt64(1);
                    claimed.Add((reader.GetInt64(7), studyId, new TrialLease(reader.GetString(0), StudyIdText(studyId), string.Empty, reader.GetString(2), reader.GetInt32(3),
                        reader.GetString(4), reader.GetInt64(5), reader.GetInt32(6), reader.GetInt32(8), reader.GetInt64(9), until)
                    {
                        Needs = new TrialNeeds(reader.GetInt32(10), reader.GetInt64(11), reader.GetInt32(12), reader.IsDBNull(13) ? null : reader.GetInt64(13)),
                    }));
                }
            }
            // A new attempt starts without what an earlier attempt streamed.
            var retried = claimed.Where(c => c.Lease.Attempt > 1).Select(c => c.Lease.TrialId).ToArray();
            if (retried.Length > 0)
            {
                await ClearAttemptAsync(connection, tx, retried, cancellationToken).ConfigureAwait(false);
            }
            var leases = new List<TrialLease>(claimed.Count);
            foreach (var (_, studyId, lease) in claimed.OrderBy(c => c.StudyId).ThenBy(c => c.Seq))
            {
                leases.Add(lease with { StudyName = await StudyNameAsync(studyId, connection, tx, cancellationToken).ConfigureAwait(false) });
            }
            return leases;
        }, cancellationToken);
    }

    // The pending trials that could ever fit the worker, in queue order and locked, and of those the ones that fit now.
    private async Task<string[]> FittingCandidatesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ClaimRequest request, ResourceBudget budget, string study, CancellationToken cancellationToken)
    {
        using var select = Command(
            "SELECT id, cpus, memory, gpu_milli FROM trials WHERE status = 'pending'" + study + (request.Ids is null ? string.Empty : " AND id = ANY(@only)") +
            " AND cpus <= @tc AND memory <= @tm AND gpu_milli <= @tg ORDER BY study_id, priority DESC, seq LIMIT @window FOR UPDATE SKIP LOCKED", connection, tx);
        select.Parameters.AddWithValue("tc", budget.Total.Cpus);
        select.Parameters.AddWithValue("tm", budget.Total.MemoryBytes);
        select.Parameters.AddWithValue("tg", budget.Total.GpuMilli);
        select.Parameters.AddWithValue("window", ResourceBudget.Window(request.Max));
        if (request.Ids is not null)
        {
            select.Parameters.AddWithValue("only", request.Ids.ToArray());
        }
        if (request.StudyId is not null)
        {
            select.Parameters.AddWithValue("s", StudyKey(request.StudyId));
        }
        var candidates = new List<(string Id, TrialNeeds Needs)>();
        using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                candidates.Add((reader.GetString(0), new TrialNeeds(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt32(3))));
            }
        }
        var taken = budget.Pack(candidates, request.Max);
        return [.. candidates.Where((_, i) => taken[i]).Select(c => c.Id)];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> HeartbeatAsync(IReadOnlyList<TrialLease> leases, TimeSpan extension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }
        return RunAsync<IReadOnlyList<string>>(async (connection, tx) =>
        {
            var now = Now;
            using var command = Command(
                "UPDATE trials t SET lease_until = @until, heartbeat = @now FROM unnest(@ids, @tokens) AS h(id, token) " +
                "WHERE t.id = h.id AND t.lease_token = h.token AND t.status = 'running' RETURNING t.id", connection, tx);
            command.Parameters.AddWithValue("until", now + extension);
            command.Parameters.AddWithValue("now", now);
            command.Parameters.AddWithValue("ids", leases.Select(l => l.TrialId).ToArray());
            command.Parameters.AddWithValue("tokens", leases.Select(l => l.Token).ToArray());
            var kept = new HashSet<string>(StringComparer.Ordinal);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                kept.Add(reader.GetString(0));
            }
            return leases.Select(l => l.TrialId).Where(id => !kept.Contains(id)).ToList();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<TrialCompletion> completions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<bool>>([]);
        }
        return RunAsync<IReadOnlyList<bool>>(async (connection, tx) =>
        {
            var n = completions.Count;
            var retry = new bool[n];
            var statuses = new string[n];
            for (var i = 0; i < n; i++)
            {
                var (lease, outcome) = (completions[i].Lease, completions[i].Outcome);
                // A failed or timed-out attempt with attempts left goes straight back to the queue.
                retry[i] = AttemptPolicy.Retries(outcome.Status, lease.Attempt, lease.MaxAttempts);
                statuses[i] = retry[i] ? "pending" : outcome.Status.ToName();
            }
            // One statement for the whole batch; the token check refuses completions from a worker that lost its lease.
            // A retried attempt leaves its error in the history; any attempt that ran to its end clears the interruptions.
            using var update = Command(
                $"UPDATE trials t SET status = c.status, results = c.results, error = c.error, exit_code = c.exit_code, finished = @now, duration_ms = c.duration, interruptions = 0, " +
                $"history = CASE WHEN c.retry THEN {HistoryAppend("c.event", "c.brief")} ELSE t.history END, {ClearLease}, " +
                "tags = CASE WHEN c.tags IS NULL THEN t.tags ELSE ARRAY(SELECT DISTINCT u.x COLLATE \"C\" FROM unnest(t.tags || string_to_array(c.tags, E'\\n')) AS u(x) ORDER BY 1) END, " +
                "note = COALESCE(c.note, t.note), host = COALESCE(c.host, t.host), pid = COALESCE(c.pid, t.pid), rank = COALESCE(c.rank, t.rank), usage = c.usage " +
                "FROM unnest(@ids, @tokens, @statuses, @results, @errors, @exits, @durations, @retries, @events, @briefs, @tags, @notes, @hosts, @pids, @ranks, @usages) " +
                "AS c(id, token, status, results, error, exit_code, duration, retry, event, brief, tags, note, host, pid, rank, usage) " +
                "WHERE t.id = c.id AND t.lease_token = c.token AND t.status = 'running' RETURNING t.id", connection, tx);
            update.Parameters.AddWithValue("retries", retry);
            update.Parameters.AddWithValue("events", completions.Select(c => c.Outcome.Status.ToName()).ToArray());
            update.Parameters.AddWithValue("briefs", completions.Select(c => AttemptPolicy.Brief(c.Outcome.Error)).ToArray());
            update.Parameters.AddWithValue("now", Now);
            update.Parameters.AddWithValue("ids", completions.Select(c => c.Lease.TrialId).ToArray());
            update.Parameters.AddWithValue("tokens", completions.Select(c => c.Lease.Token).ToArray());
            update.Parameters.AddWithValue("statuses", statuses);
            update.Parameters.Add(new NpgsqlParameter<string?[]>("results", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = completions.Select(c => c.Outcome.ResultsJson).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<string?[]>("errors", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = completions.Select(c => c.Outcome.Error).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<int?[]>("exits", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = completions.Select(c => c.Outcome.ExitCode).ToArray() });
            update.Parameters.AddWithValue("durations", completions.Select(c => c.Outcome.Duration.TotalMilliseconds).ToArray());
            // Tags travel as one newline-joined text per row: unnest cannot take an array of arrays of uneven length.
            update.Parameters.Add(new NpgsqlParameter<string?[]>("tags", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                TypedValue = completions.Select((c, i) => c.Outcome.Tags.Count == 0 || retry[i] ? null : string.Join('\n', StoredValues.MergeTags([], c.Outcome.Tags, []))).ToArray(),
            });
            update.Parameters.Add(new NpgsqlParameter<string?[]>("notes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = completions.Select((c, i) => retry[i] ? null : c.Outcome.Note).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<string?[]>("hosts", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = completions.Select(c => c.Outcome.Place?.Host).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<int?[]>("pids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = completions.Select(c => c.Outcome.Place?.Pid).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<int?[]>("ranks", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = completions.Select(c => c.Outcome.Place?.Rank).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<string?[]>("usages", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = completions.Select(c => c.Outcome.Usage?.ToJson()).ToArray() });
            var acceptedIds = new HashSet<string>(StringComparer.Ordinal);
            using (var reader = await update.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    acceptedIds.Add(reader.GetString(0));
                }
            }
            var accepted = completions.Select(c => acceptedIds.Contains(c.Lease.TrialId)).ToArray();
            // Metrics and files of an attempt that will be retried are dropped with it.
            var kept = Enumerable.Range(0, n).Where(i => accepted[i] && !retry[i]).Select(i => completions[i]).ToList();
            await InsertMetricsAsync(connection, tx, kept.SelectMany(c => MetricRows(c.Lease.TrialId, c.Outcome.Metrics)).ToList(), cancellationToken).ConfigureAwait(false);
            await InsertFilesAsync(connection, tx, kept.SelectMany(c => c.Outcome.Files.Select(f => (c.Lease.TrialId, f))).ToList(), cancellationToken).ConfigureAwait(false);
            if (Enumerable.Range(0, n).Any(i => accepted[i] && retry[i]))
            {
                await NotifyAsync(connection, tx, completions[0].Lease.StudyId, cancellationToken).ConfigureAwait(false);
            }
            return accepted;
        }, cancellationToken);
    }

    private static IEnumerable<(string TrialId, string Name, int Ordinal, int Count, byte[] Steps, byte[] Values, byte[] Times)> MetricRows(string trialId, IReadOnlyList<MetricPoint> points)
    {
        var ordinal = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, chunk) in MetricChunk.Split(points))
        {
            var next = ordinal[name] = ordinal.GetValueOrDefault(name) + 1;
            var (steps, values, times) = MetricChunk.Pack(chunk);
            yield return (trialId, name, next, chunk.Count, steps, values, times);
        }
    }

    private static async Task InsertMetricsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<(string TrialId, string Name, int Ordinal, int Count, byte[] Steps, byte[] Values, byte[] Times)> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }
        // Chunks streamed earlier by the same attempt come first: number the new ones after them.
        using var insert = Command(
            "INSERT INTO metric_chunks (trial_id, name, seq, count, steps, vals, times) " +
            "SELECT m.trial_id, m.name, COALESCE((SELECT MAX(seq) FROM metric_chunks x WHERE x.trial_id = m.trial_id AND x.name = m.name), -1) + m.ordinal, m.count, m.steps, m.vals, m.times " +
            "FROM unnest(@ids, @names, @ordinals, @counts, @steps, @vals, @times) AS m(trial_id, name, ordinal, count, steps, vals, times)", connection, tx);
        insert.Parameters.AddWithValue("ids", rows.Select(r => r.TrialId).ToArray());
        insert.Parameters.AddWithValue("names", rows.Select(r => r.Name).ToArray());
        insert.Parameters.AddWithValue("ordinals", rows.Select(r => r.Ordinal).ToArray());
        insert.Parameters.AddWithValue("counts", rows.Select(r => r.Count).ToArray());
        insert.Parameters.AddWithValue("steps", rows.Select(r => r.Steps).ToArray());
        insert.Parameters.AddWithValue("vals", rows.Select(r => r.Values).ToArray());
        insert.Parameters.AddWithValue("times", rows.Select(r => r.Times).ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task InsertFilesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<(string TrialId, TrialFile File)> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return;
        }
        using var insert = Command(
            "INSERT INTO trial_files (trial_id, path, size, content) SELECT * FROM unnest(@ids, @paths, @sizes, @contents) " +
            "ON CONFLICT (trial_id, path) DO UPDATE SET size = excluded.size, content = excluded.content", connection, tx);
        insert.Parameters.AddWithValue("ids", files.Select(f => f.TrialId).ToArray());
        insert.Parameters.AddWithValue("paths", files.Select(f => f.File.Path).ToArray());
        insert.Parameters.AddWithValue("sizes", files.Select(f => (long)f.File.Content.Length).ToArray());
        insert.Parameters.AddWithValue("contents", files.Select(f => f.File.Content.ToArray()).ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> AppendMetricsAsync(TrialLease lease, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(points);
        return RunAsync(async (connection, tx) =>
        {
            // Lock the trial's row so a concurrent expiry or completion cannot slip between the check and the insert.
            using var check = Command("SELECT 1 FROM trials WHERE id = @id AND lease_token = @t AND status = 'running' FOR UPDATE", connection, tx);
            check.Parameters.AddWithValue("id", lease.TrialId);
            check.Parameters.AddWithValue("t", lease.Token);
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                return false;
            }
            await InsertMetricsAsync(connection, tx, MetricRows(lease.TrialId, points).ToList(), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> ReleaseAsync(IReadOnlyList<TrialLease> leases, ReleaseMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(async (connection, tx) =>
        {
            using var command = Command(mode == ReleaseMode.Requeue
                ? $"UPDATE trials t SET status = 'pending', attempts = GREATEST(t.attempts - 1, 0), started = NULL, {ClearLease} " +
                  "FROM unnest(@ids, @tokens) AS r(id, token) WHERE t.id = r.id AND t.lease_token = r.token AND t.status = 'running' RETURNING t.id"
                : $"UPDATE trials t SET status = 'cancelled', finished = @now, error = '{TrialRows.CancelledError}', {ClearLease} " +
                  "FROM unnest(@ids, @tokens) AS r(id, token) WHERE t.id = r.id AND t.lease_token = r.token AND t.status = 'running' RETURNING t.id", connection, tx);
            command.Parameters.AddWithValue("ids", leases.Select(l => l.TrialId).ToArray());
            command.Parameters.AddWithValue("tokens", leases.Select(l => l.Token).ToArray());
            command.Parameters.AddWithValue("now", Now);
            var released = new List<string>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    released.Add(reader.GetString(0));
                }
            }
            if (mode == ReleaseMode.Requeue && released.Count > 0)
            {
                // A requeued attempt starts again from scratch; other workers hear at once that there is work.
                await ClearAttemptAsync(connection, tx, released.ToArray(), cancellationToken).ConfigureAwait(false);
                await NotifyAsync(connection, tx, leases[0].StudyId, cancellationToken).ConfigureAwait(false);
            }
            return released.Count;
        }, cancellationToken);
    }

}
