using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private static string TrialColumns => TrialRows.Columns;

    /// <summary>The trial columns, with the large text ones cut to <paramref name="preview"/> characters when given.</summary>
    private static string Columns(int? preview) => TrialRows.Select(preview, static (column, n) => $"substr({column}, 1, {n})");

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(TrialFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return RunAsync<IReadOnlyList<TrialRecord>>(write: false, _ =>
        {
            using var command = Command(string.Empty);
            var clauses = new List<string>();
            if (filter.StudyId is not null)
            {
                clauses.Add("t.study_id = @s");
                command.Parameters.AddWithValue("@s", StudyKey(filter.StudyId));
            }
            if (filter.Statuses is { Count: > 0 })
            {
                clauses.Add("t.status IN " + InList(command, "st", StatusNames(filter.Statuses)));
            }
            if (filter.Ids is not null)
            {
                clauses.Add("t.id IN " + InList(command, "i", filter.Ids));
            }
            if (filter.Tag is not null)
            {
                clauses.Add("(EXISTS (SELECT 1 FROM json_each(s.tags) WHERE json_each.value = @tag) OR EXISTS (SELECT 1 FROM json_each(t.tags) WHERE json_each.value = @tag))");
                command.Parameters.AddWithValue("@tag", filter.Tag);
            }
            command.CommandText = $"SELECT {Columns(filter.PreviewChars)} FROM trials t JOIN studies s ON s.id = t.study_id" +
                (clauses.Count > 0 ? " WHERE " + string.Join(" AND ", clauses) : string.Empty) +
                (filter.StudyId is null ? " ORDER BY s.created, s.name, t.seq" : " ORDER BY t.seq") + " LIMIT @limit OFFSET @offset";
            command.Parameters.AddWithValue("@limit", filter.Limit ?? -1);
            command.Parameters.AddWithValue("@offset", filter.Offset);
            return ReadTrials(command);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialRecord>> FindTrialsAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return RunAsync<IReadOnlyList<TrialRecord>>(write: false, _ =>
        {
            // Range scan on the primary key rather than LIKE, which would not use the index.
            using var command = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id >= @lo AND t.id < @hi ORDER BY t.id LIMIT 20");
            var lower = prefix.ToLowerInvariant();
            command.Parameters.AddWithValue("@lo", lower);
            command.Parameters.AddWithValue("@hi", lower + "\uffff");
            return ReadTrials(command);
        }, cancellationToken);
    }

    private static List<TrialRecord> ReadTrials(SqliteCommand command)
    {
        var trials = new List<TrialRecord>();
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            trials.Add(TrialRows.Read(r, SqliteDialect.Instance));
        }
        return trials;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StudySummary>> ListStudiesAsync(CancellationToken cancellationToken = default)
    {
        return RunAsync<IReadOnlyList<StudySummary>>(write: false, _ =>
        {
            var studies = new List<StudyRecord>();
            using (var command = Command($"SELECT {StudyColumns} FROM studies ORDER BY created, name"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    studies.Add(ReadStudy(reader));
                }
            }
            var counts = new Dictionary<string, Dictionary<TrialStatus, int>>();
            var times = new Dictionary<string, (DateTimeOffset?, DateTimeOffset?)>();
            using (var command = Command("SELECT study_id, status, COUNT(*), MIN(started), MAX(finished) FROM trials GROUP BY study_id, status"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var id = reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (!counts.TryGetValue(id, out var byStatus))
                    {
                        counts[id] = byStatus = [];
                    }
                    byStatus[StoredValues.Status(reader.GetString(1))] = reader.GetInt32(2);
                    var (first, last) = times.GetValueOrDefault(id);
                    var started = Time(reader, 3);
                    var finished = Time(reader, 4);
                    times[id] = (Min(first, started), Max(last, finished));
                }
            }
            return studies.Select(s => new StudySummary(s, counts.GetValueOrDefault(s.Id) ?? [], times.GetValueOrDefault(s.Id).Item1, times.GetValueOrDefault(s.Id).Item2)).ToList();
        }, cancellationToken);
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <inheritdoc />
    public Task<bool> HasRunningTrialsAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(write: false, _ =>
        {
            using var command = Command("SELECT EXISTS (SELECT 1 FROM trials WHERE study_id = @s AND status = 'running')");
            command.Parameters.AddWithValue("@s", StudyKey(studyId));
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<TrialStatus, int>> CountAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync<IReadOnlyDictionary<TrialStatus, int>>(write: false, _ =>
        {
            using var command = Command("SELECT status, COUNT(*) FROM trials WHERE study_id = @s GROUP BY status");
            command.Parameters.AddWithValue("@s", StudyKey(studyId));
            using var reader = command.ExecuteReader();
            var counts = new Dictionary<TrialStatus, int>();
            while (reader.Read())
            {
                counts[StoredValues.Status(reader.GetString(0))] = reader.GetInt32(1);
            }
            return counts;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StudyProgress> GetProgressAsync(string studyId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(write: false, _ =>
        {
            var counts = new Dictionary<TrialStatus, int>();
            var finished = 0;
            using (var command = Command("SELECT status, COUNT(*), SUM(CASE WHEN finished >= @since AND status NOT IN ('pending', 'running') THEN 1 ELSE 0 END) FROM trials WHERE study_id = @s GROUP BY status"))
            {
                command.Parameters.AddWithValue("@s", StudyKey(studyId));
                command.Parameters.AddWithValue("@since", since.ToUnixTimeMilliseconds());
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    counts[StoredValues.Status(reader.GetString(0))] = reader.GetInt32(1);
                    finished += reader.GetInt32(2);
                }
            }
            using var running = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.study_id = @s AND t.status = 'running' ORDER BY t.started LIMIT 1000");
            running.Parameters.AddWithValue("@s", StudyKey(studyId));
            return new StudyProgress(counts, finished, ReadTrials(running), _time.GetUtcNow());
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrialFileInfo>> ListFilesAsync(string trialId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        return RunAsync<IReadOnlyList<TrialFileInfo>>(write: false, _ =>
        {
            using var command = Command("SELECT path, size FROM trial_files WHERE trial_id = @id ORDER BY path");
            command.Parameters.AddWithValue("@id", trialId);
            using var reader = command.ExecuteReader();
            var files = new List<TrialFileInfo>();
            while (reader.Read())
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
        return RunAsync(write: false, _ =>
        {
            using var command = Command("SELECT content FROM trial_files WHERE trial_id = @id AND path = @p");
            command.Parameters.AddWithValue("@id", trialId);
            command.Parameters.AddWithValue("@p", path);
            return command.ExecuteScalar() as byte[];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MetricPoint>> GetMetricsAsync(string trialId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialId);
        return RunAsync<IReadOnlyList<MetricPoint>>(write: false, _ =>
        {
            using var command = Command("SELECT name, count, steps, vals, times FROM metric_chunks WHERE trial_id = @id ORDER BY name, seq");
            command.Parameters.AddWithValue("@id", trialId);
            using var reader = command.ExecuteReader();
            var points = new List<MetricPoint>();
            while (reader.Read())
            {
                MetricChunk.Unpack(reader.GetString(0), reader.GetInt32(1), (byte[])reader[2], (byte[])reader[3], (byte[])reader[4], points);
            }
            return points;
        }, cancellationToken);
    }
}
