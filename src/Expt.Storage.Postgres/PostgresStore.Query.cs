using Expt.Trials;
using Npgsql;

namespace Expt.Storage.Postgres;

public sealed partial class PostgresStore
{
    private static string TrialColumns => TrialRows.Columns;

    /// <summary>The trial columns, with the large text ones cut to <paramref name="preview"/> characters when given.</summary>
    private static string Columns(int? preview) => TrialRows.Select(preview, static (column, n) => $"left({column}, {n})");

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(TrialFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return RunAsync<IReadOnlyList<TrialRecord>>(async (connection, tx) =>
        {
            using var command = Command(string.Empty, connection, tx);
            var clauses = new List<string>();
            if (filter.StudyId is not null)
            {
                clauses.Add("t.study_id = @s");
                command.Parameters.AddWithValue("s", StudyKey(filter.StudyId));
            }
            if (filter.Statuses is { Count: > 0 })
            {
                clauses.Add("t.status = ANY(@st)");
                command.Parameters.AddWithValue("st", StatusNames(filter.Statuses));
            }
            if (filter.Ids is not null)
            {
                clauses.Add("t.id = ANY(@ids)");
                command.Parameters.AddWithValue("ids", filter.Ids.ToArray());
            }
            if (filter.Tag is not null)
            {
                clauses.Add("(@tag = ANY(s.tags) OR @tag = ANY(t.tags))");
                command.Parameters.AddWithValue("tag", filter.Tag);
            }
            command.CommandText = $"SELECT {Columns(filter.PreviewChars)} FROM trials t JOIN studies s ON s.id = t.study_id" +
                (clauses.Count > 0 ? " WHERE " + string.Join(" AND ", clauses) : string.Empty) +
                (filter.StudyId is null ? " ORDER BY s.created, s.name, t.seq" : " ORDER BY t.seq") +
                (filter.Limit is null ? string.Empty : " LIMIT @limit") + " OFFSET @offset";
            if (filter.Limit is { } limit)
            {
                command.Parameters.AddWithValue("limit", limit);
            }
            command.Parameters.AddWithValue("offset", filter.Offset);
            command.CommandTimeout = 0;
            return await ReadTrialsAsync(command, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialRecord>> FindTrialsAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return RunAsync<IReadOnlyList<TrialRecord>>(async (connection, tx) =>
        {
            // A range on the primary key (text ids compare bytewise under "C"), not LIKE, so the index is used.
            using var command = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id >= @lo COLLATE \"C\" AND t.id < @hi COLLATE \"C\" AND starts_with(t.id, @lo) ORDER BY t.id LIMIT 20", connection, tx);
            var lower = prefix.ToLowerInvariant();
            command.Parameters.AddWithValue("lo", lower);
            command.Parameters.AddWithValue("hi", lower + "\uffff");
            return await ReadTrialsAsync(command, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    private static async Task<IReadOnlyList<TrialRecord>> ReadTrialsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var trials = new List<TrialRecord>();
        using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            trials.Add(TrialRows.Read(r, PostgresDialect.Instance));
        }
        return trials;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <inheritdoc />
    public Task<IReadOnlyList<StudySummary>> ListStudiesAsync(CancellationToken cancellationToken = default)
    {
        return RunAsync<IReadOnlyList<StudySummary>>(async (connection, tx) =>
        {
            var studies = new List<StudyRecord>();
            using (var command = Command($"SELECT {StudyColumns} FROM studies ORDER BY created, name", connection, tx))
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    studies.Add(ReadStudy(reader));
                }
            }
            var counts = new Dictionary<string, Dictionary<TrialStatus, int>>();
            var times = new Dictionary<string, (DateTimeOffset?, DateTimeOffset?)>();
            using (var command = Command("SELECT study_id, status, COUNT(*), MIN(started), MAX(finished) FROM trials GROUP BY study_id, status", connection, tx))
            {
                command.CommandTimeout = 0;
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var id = StudyIdText(reader.GetInt64(0));
                    if (!counts.TryGetValue(id, out var byStatus))
                    {
                        counts[id] = byStatus = [];
                    }
                    byStatus[StoredValues.Status(reader.GetString(1))] = (int)reader.GetInt64(2);
                    var (first, last) = times.GetValueOrDefault(id);
                    times[id] = (Earlier(first, Time(reader, 3)), Later(last, Time(reader, 4)));
                }
            }
            return studies.Select(s => new StudySummary(s, counts.GetValueOrDefault(s.Id) ?? [], times.GetValueOrDefault(s.Id).Item1, times.GetValueOrDefault(s.Id).Item2)).ToList();
        }, cancellationToken);
    }

    private static DateTimeOffset? Earlier(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <inheritdoc />
    public Task<bool> HasRunningTrialsAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(async (connection, tx) =>
        {
            // The partial index of running trials (trials_leases) answers this without reading the study.
            using var command = Command("SELECT EXISTS (SELECT 1 FROM trials WHERE status = 'running' AND study_id = @s)", connection, tx);
            command.Parameters.AddWithValue("s", StudyKey(studyId));
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<TrialStatus, int>> CountAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        var progress = await CountsAsync(studyId, null, cancellationToken).ConfigureAwait(false);
        return progress.Counts;
    }

    private Task<(Dictionary<TrialStatus, int> Counts, int FinishedSince)> CountsAsync(string studyId, DateTimeOffset? since, CancellationToken cancellationToken) =>
        RunAsync(async (connection, tx) =>
        {
            using var command = Command(
                "SELECT status, COUNT(*), COUNT(*) FILTER (WHERE finished >= @since AND status NOT IN ('pending', 'running')) FROM trials WHERE study_id = @s GROUP BY status", connection, tx);
            command.Parameters.AddWithValue("s", StudyKey(studyId));
            command.Parameters.AddWithValue("since", since ?? DateTimeOffset.MaxValue);
            command.CommandTimeout = 0;
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var counts = new Dictionary<TrialStatus, int>();
            var finished = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[StoredValues.Status(reader.GetString(0))] = (int)reader.GetInt64(1);
                finished += (int)reader.GetInt64(2);
            }
            return (counts, finished);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<StudyProgress> GetProgressAsync(string studyId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        var (counts, finished) = await CountsAsync(studyId, since, cancellationToken).ConfigureAwait(false);
        var running = await RunAsync(async (connection, tx) =>
        {
            using var command = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.study_id = @s AND t.status = 'running' ORDER BY t.started LIMIT 1000", connection, tx);
            command.Parameters.AddWithValue("s", StudyKey(studyId));
            return await ReadTrialsAsync(command, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return new StudyProgress(counts, finished, running, Now);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialFileInfo>> ListFilesAsync(string trialId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        return RunAsync<IReadOnlyList<TrialFileInfo>>(async (connection, tx) =>
        {
            using var command = Command("SELECT path, size FROM trial_files WHERE trial_id = @id ORDER BY path", connection, tx);
            command.Parameters.AddWithValue("id", trialId);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var files = new List<TrialFileInfo>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                files.Add(new TrialFileInfo(reader.GetString(0), reader.GetInt64(1)));
            }
            return files;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<byte[]?> ReadFileAsync(string trialId, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        ArgumentNullException.ThrowIfNull(path);
        return RunAsync(async (connection, tx) =>
        {
            using var command = Command("SELECT content FROM trial_files WHERE trial_id = @id AND path = @p", connection, tx);
            command.Parameters.AddWithValue("id", trialId);
            command.Parameters.AddWithValue("p", path);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MetricPoint>> GetMetricsAsync(string trialId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        return RunAsync<IReadOnlyList<MetricPoint>>(async (connection, tx) =>
        {
            using var command = Command("SELECT name, count, steps, vals, times FROM metric_chunks WHERE trial_id = @id ORDER BY name, seq", connection, tx);
            command.Parameters.AddWithValue("id", trialId);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var points = new List<MetricPoint>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                MetricChunk.Unpack(reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4), points);
            }
            return points;
        }, cancellationToken);
    }
}
