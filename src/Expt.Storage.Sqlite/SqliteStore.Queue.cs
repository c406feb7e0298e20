using System.Security.Cryptography;
using System.Text.Json;
using Expt.Resources;
using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string ClearLease = TrialRows.ClearLease;

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialLease>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Max, 1);
        return RunAsync<IReadOnlyList<TrialLease>>(write: true, tx =>
        {
            var now = NowMs;
            var studyClause = request.StudyId is null ? string.Empty : " AND study_id = @s";
            ExpireLeases(tx, now, studyClause, request.StudyId);

            var token = RandomNumberGenerator.GetInt32(1, int.MaxValue) * (long)int.MaxValue + RandomNumberGenerator.GetInt32(int.MaxValue);
            var until = now + (long)request.Lease.TotalMilliseconds;
            using var claim = Command(
                $"UPDATE trials SET status = 'running', lease_owner = @w, lease_token = @t, lease_until = @until, heartbeat = @now, attempts = attempts + 1, " +
                $"started = @now, finished = NULL, duration_ms = NULL, host = @h, pid = @p, provenance = @prov, run = @run, rank = NULL " +
                "WHERE {pick} RETURNING id, study_id, key, replicate, params, seed, attempts, seq, max_attempts, cpus, memory, gpu_milli, memory_limit", tx);
            claim.Parameters.AddWithValue("@w", request.Worker.Id);
            claim.Parameters.AddWithValue("@t", token);
            claim.Parameters.AddWithValue("@until", until);
            claim.Parameters.AddWithValue("@now", now);
            claim.Parameters.AddWithValue("@h", request.Worker.Host);
            claim.Parameters.AddWithValue("@p", request.Worker.Pid);
            claim.Parameters.AddWithValue("@prov", (object?)request.ProvenanceJson ?? DBNull.Value);
            claim.Parameters.AddWithValue("@run", (object?)request.RunId ?? DBNull.Value);
            string pick;
            if (request.Budget is { } budget)
            {
                // Resources: look at more pending trials than places, and take those that fit (see ResourceBudget).
                var chosen = FittingCandidates(tx, request, budget, studyClause);
                if (chosen.Count == 0)
                {
                    return [];
                }
                pick = "id IN " + InList(claim, "k", chosen);
            }
            else
            {
                claim.Parameters.AddWithValue("@max", request.Max);
                var ids = request.Ids is null ? string.Empty : " AND id IN " + InList(claim, "c", request.Ids);
                pick = $"id IN (SELECT id FROM trials WHERE status = 'pending'{studyClause}{ids} ORDER BY study_id, priority DESC, seq LIMIT @max)";
                if (request.StudyId is not null)
                {
                    claim.Parameters.AddWithValue("@s", StudyKey(request.StudyId));
                }
            }
            claim.CommandText = claim.CommandText.Replace("{pick}", pick, StringComparison.Ordinal);
            var leases = new List<(long Seq, TrialLease Lease)>();
            using (var reader = claim.ExecuteReader())
            {
                while (reader.Read())
                {
                    var studyId = reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    leases.Add((reader.GetInt64(7), new TrialLease(reader.GetString(0), studyId, StudyName(studyId, tx), reader.GetString(2), reader.GetInt32(3),
                        reader.GetString(4), reader.GetInt64(5), reader.GetInt32(6), reader.GetInt32(8), token, DateTimeOffset.FromUnixTimeMilliseconds(until))
                    {
                        Needs = new TrialNeeds(reader.GetInt32(9), reader.GetInt64(10), reader.GetInt32(11), reader.IsDBNull(12) ? null : reader.GetInt64(12)),
                    }));
                }
            }
            // A new attempt starts without the metrics an earlier, failed attempt streamed.
            var retried = leases.Where(l => l.Lease.Attempt > 1).Select(l => l.Lease.TrialId).ToList();
            if (retried.Count > 0)
            {
                using var clear = Command(string.Empty, tx);
                var ids = InList(clear, "r", retried);
                clear.CommandText = $"DELETE FROM metric_chunks WHERE trial_id IN {ids}; DELETE FROM trial_files WHERE trial_id IN {ids}";
                clear.ExecuteNonQuery();
            }
            // RETURNING gives no order guarantee; hand trials out in plan order.
            return leases.OrderBy(l => l.Lease.StudyId.Length).ThenBy(l => l.Lease.StudyId, StringComparer.Ordinal).ThenBy(l => l.Seq).Select(l => l.Lease).ToList();
        }, cancellationToken);
    }

    // The pending trials that could ever fit the worker, in queue order, and of those the ones that fit now.
    private List<string> FittingCandidates(SqliteTransaction? tx, ClaimRequest request, ResourceBudget budget, string studyClause)
    {
        using var select = Command(string.Empty, tx);
        var ids = request.Ids is null ? string.Empty : " AND id IN " + InList(select, "c", request.Ids);
        select.CommandText = $"SELECT id, cpus, memory, gpu_milli FROM trials WHERE status = 'pending'{studyClause}{ids} " +
            "AND cpus <= @tc AND memory <= @tm AND gpu_milli <= @tg ORDER BY study_id, priority DESC, seq LIMIT @window";
        select.Parameters.AddWithValue("@tc", budget.Total.Cpus);
        select.Parameters.AddWithValue("@tm", budget.Total.MemoryBytes);
        select.Parameters.AddWithValue("@tg", budget.Total.GpuMilli);
        select.Parameters.AddWithValue("@window", ResourceBudget.Window(request.Max));
        if (request.StudyId is not null)
        {
            select.Parameters.AddWithValue("@s", StudyKey(request.StudyId));
        }
        var candidates = new List<(string Id, TrialNeeds Needs)>();
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
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
        return RunAsync<IReadOnlyList<string>>(write: true, tx =>
        {
            using var command = Command("UPDATE trials SET lease_until = @until, heartbeat = @now WHERE id = @id AND lease_token = @t AND status = 'running'", tx);
            command.Parameters.AddWithValue("@until", NowMs + (long)extension.TotalMilliseconds);
            command.Parameters.AddWithValue("@now", NowMs);
            var pId = command.Parameters.Add("@id", SqliteType.Text);
            var pToken = command.Parameters.Add("@t", SqliteType.Integer);
            command.Prepare();
            var lost = new List<string>();
            foreach (var lease in leases)
            {
                pId.Value = lease.TrialId;
                pToken.Value = lease.Token;
                if (command.ExecuteNonQuery() == 0)
                {
                    lost.Add(lease.TrialId);
                }
            }
            return lost;
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
        return RunAsync<IReadOnlyList<bool>>(write: true, tx =>
        {
            var now = NowMs;
            // A failed or timed-out attempt with attempts left goes straight back to the queue. The lease carries the
            // attempt number the store gave it, and the token check guarantees it is still the stored one.
            // A retried attempt leaves its error in the history; any attempt that ran to its end clears the interruptions.
            using var update = Command(
                $"UPDATE trials SET status = @st, results = @r, error = @e, exit_code = @x, finished = @now, duration_ms = @d, interruptions = 0, " +
                "tags = CASE WHEN @tags IS NULL THEN tags ELSE (SELECT json_group_array(value) FROM (SELECT value FROM json_each(tags) UNION SELECT value FROM json_each(@tags) ORDER BY 1)) END, " +
                "note = COALESCE(@note, note), host = COALESCE(@host, host), pid = COALESCE(@pid, pid), rank = COALESCE(@rank, rank), usage = @usage, " +
                $"history = CASE WHEN @retry THEN {HistoryAppend("@st0", "@brief")} ELSE history END, {ClearLease} " +
                "WHERE id = @id AND lease_token = @t AND status = 'running'", tx);
            var pStatus = update.Parameters.Add("@st", SqliteType.Text);
            var pResults = update.Parameters.Add("@r", SqliteType.Text);
            var pError = update.Parameters.Add("@e", SqliteType.Text);
            var pExit = update.Parameters.Add("@x", SqliteType.Integer);
            update.Parameters.AddWithValue("@now", now);
            var pDuration = update.Parameters.Add("@d", SqliteType.Real);
            var pId = update.Parameters.Add("@id", SqliteType.Text);
            var pToken = update.Parameters.Add("@t", SqliteType.Integer);
            var pRetry = update.Parameters.Add("@retry", SqliteType.Integer);
            var pEvent = update.Parameters.Add("@st0", SqliteType.Text);
            var pBrief = update.Parameters.Add("@brief", SqliteType.Text);
            update.Parameters.AddWithValue("@iso", Iso(now));
            var pTags = update.Parameters.Add("@tags", SqliteType.Text);
            var pNote = update.Parameters.Add("@note", SqliteType.Text);
            var pHost = update.Parameters.Add("@host", SqliteType.Text);
            var pPid = update.Parameters.Add("@pid", SqliteType.Integer);
            var pRank = update.Parameters.Add("@rank", SqliteType.Integer);
            var pUsage = update.Parameters.Add("@usage", SqliteType.Text);
            update.Prepare();
            SqliteCommand? metrics = null;
            SqliteCommand? files = null;
            try
            {
                var accepted = new bool[completions.Count];
                for (var i = 0; i < completions.Count; i++)
                {
                    var (lease, outcome) = (completions[i].Lease, completions[i].Outcome);
                    var retry = AttemptPolicy.Retries(outcome.Status, lease.Attempt, lease.MaxAttempts);
                    pStatus.Value = retry ? "pending" : outcome.Status.ToName();
                    pRetry.Value = retry ? 1 : 0;
                    pEvent.Value = outcome.Status.ToName();
                    pBrief.Value = AttemptPolicy.Brief(outcome.Error);
                    pResults.Value = (object?)outcome.ResultsJson ?? DBNull.Value;
                    pError.Value = (object?)outcome.Error ?? DBNull.Value;
                    pExit.Value = (object?)outcome.ExitCode ?? DBNull.Value;
                    pDuration.Value = outcome.Duration.TotalMilliseconds;
                    pId.Value = lease.TrialId;
                    pToken.Value = lease.Token;
                    pTags.Value = outcome.Tags.Count == 0 || retry ? DBNull.Value : JsonSerializer.Serialize(StoredValues.MergeTags([], outcome.Tags, []));
                    pNote.Value = (object?)(retry ? null : outcome.Note) ?? DBNull.Value;
                    pHost.Value = (object?)outcome.Place?.Host ?? DBNull.Value;
                    pPid.Value = (object?)outcome.Place?.Pid ?? DBNull.Value;
                    pRank.Value = (object?)outcome.Place?.Rank ?? DBNull.Value;
                    pUsage.Value = (object?)outcome.Usage?.ToJson() ?? DBNull.Value;
                    accepted[i] = update.ExecuteNonQuery() == 1;
                    // Metrics of an attempt that will be retried are dropped with it.
                    if (accepted[i] && !retry && outcome.Metrics.Count > 0)
                    {
                        metrics ??= PrepareMetricInsert(tx);
                        InsertMetrics(metrics, lease.TrialId, outcome.Metrics);
                    }
                    if (accepted[i] && !retry && outcome.Files.Count > 0)
                    {
                        files ??= PrepareFileInsert(tx);
                        InsertFiles(files, lease.TrialId, outcome.Files);
                    }
                }
                return accepted;
            }
            finally
            {
                metrics?.Dispose();
                files?.Dispose();
            }
        }, cancellationToken);
    }

    private SqliteCommand PrepareFileInsert(SqliteTransaction? tx)
    {
        var command = Command("INSERT OR REPLACE INTO trial_files (trial_id, path, size, content) VALUES (@id, @p, @n, @c)", tx);
        command.Parameters.Add("@id", SqliteType.Text);
        command.Parameters.Add("@p", SqliteType.Text);
        command.Parameters.Add("@n", SqliteType.Integer);
        command.Parameters.Add("@c", SqliteType.Blob);
        command.Prepare();
        return command;
    }

    private static void InsertFiles(SqliteCommand command, string trialId, IReadOnlyList<TrialFile> files)
    {
        command.Parameters[0].Value = trialId;
        foreach (var file in files)
        {
            command.Parameters[1].Value = file.Path;
            command.Parameters[2].Value = file.Content.Length;
            command.Parameters[3].Value = file.Content.ToArray();
            command.ExecuteNonQuery();
        }
    }

    private SqliteCommand PrepareMetricInsert(SqliteTransaction? tx)
    {
        var command = Command(
            "INSERT INTO metric_chunks (trial_id, name, seq, count, steps, vals, times) " +
            "VALUES (@id, @n, (SELECT COALESCE(MAX(seq), -1) + 1 FROM metric_chunks WHERE trial_id = @id AND name = @n), @c, @s, @v, @t)", tx);
        command.Parameters.Add("@id", SqliteType.Text);
        command.Parameters.Add("@n", SqliteType.Text);
        command.Parameters.Add("@c", SqliteType.Integer);
        command.Parameters.Add("@s", SqliteType.Blob);
        command.Parameters.Add("@v", SqliteType.Blob);
        command.Parameters.Add("@t", SqliteType.Blob);
        command.Prepare();
        return command;
    }

    private static void InsertMetrics(SqliteCommand command, string trialId, IReadOnlyList<MetricPoint> points)
    {
        command.Parameters[0].Value = trialId;
        foreach (var (name, chunk) in MetricChunk.Split(points))
        {
            var (steps, values, times) = MetricChunk.Pack(chunk);
            command.Parameters[1].Value = name;
            command.Parameters[2].Value = chunk.Count;
            command.Parameters[3].Value = steps;
            command.Parameters[4].Value = values;
            command.Parameters[5].Value = times;
            command.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public Task<bool> AppendMetricsAsync(TrialLease lease, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(points);
        return RunAsync(write: true, tx =>
        {
            using var check = Command("SELECT 1 FROM trials WHERE id = @id AND lease_token = @t AND status = 'running'", tx);
            check.Parameters.AddWithValue("@id", lease.TrialId);
            check.Parameters.AddWithValue("@t", lease.Token);
            if (check.ExecuteScalar() is null)
            {
                return false;
            }
            using var insert = PrepareMetricInsert(tx);
            InsertMetrics(insert, lease.TrialId, points);
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
        return RunAsync(write: true, tx =>
        {
            using var command = Command(mode == ReleaseMode.Requeue
                ? $"UPDATE trials SET status = 'pending', attempts = MAX(attempts - 1, 0), started = NULL, {ClearLease} WHERE id = @id AND lease_token = @t AND status = 'running'"
                : $"UPDATE trials SET status = 'cancelled', finished = @now, error = '{TrialRows.CancelledError}', {ClearLease} WHERE id = @id AND lease_token = @t AND status = 'running'", tx);
            var pId = command.Parameters.Add("@id", SqliteType.Text);
            var pToken = command.Parameters.Add("@t", SqliteType.Integer);
            command.Parameters.AddWithValue("@now", NowMs);
            // A requeued attempt starts again from scratch: what it streamed so far goes.
            using var clear = Command("DELETE FROM metric_chunks WHERE trial_id = @id; DELETE FROM trial_files WHERE trial_id = @id", tx);
            var pClear = clear.Parameters.Add("@id", SqliteType.Text);
            var released = 0;
            foreach (var lease in leases)
            {
                pId.Value = lease.TrialId;
                pToken.Value = lease.Token;
                if (command.ExecuteNonQuery() != 1)
                {
                    continue; // the lease was lost meanwhile: nothing of this worker's to give back
                }
                released++;
                if (mode == ReleaseMode.Requeue)
                {
                    pClear.Value = lease.TrialId;
                    clear.ExecuteNonQuery();
                }
            }
            return released;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // No notifications in SQLite: the caller polls.
        try
        {
            await Task.Delay(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

}
