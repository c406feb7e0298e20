using System.Text.Json;
using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string StudyColumns = "id, name, description, tags, spec, fingerprint, seed, created, provenance";

    /// <inheritdoc />
    public Task<(StudyRecord Study, bool Created)> CreateStudyAsync(StudyDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return RunAsync(write: true, tx =>
        {
            var existing = ReadStudy(definition.Name, tx);
            if (existing is not null)
            {
                return (existing, false);
            }
            using var insert = Command("INSERT INTO studies (name, description, tags, spec, fingerprint, seed, created, provenance) VALUES (@name, @description, @tags, @spec, @fingerprint, @seed, @created, @provenance)", tx);
            insert.Parameters.AddWithValue("@name", definition.Name);
            insert.Parameters.AddWithValue("@description", (object?)definition.Description ?? DBNull.Value);
            insert.Parameters.AddWithValue("@tags", JsonSerializer.Serialize(definition.Tags));
            insert.Parameters.AddWithValue("@spec", definition.SpecJson);
            insert.Parameters.AddWithValue("@fingerprint", definition.Fingerprint);
            insert.Parameters.AddWithValue("@seed", definition.Seed);
            insert.Parameters.AddWithValue("@created", NowMs);
            insert.Parameters.AddWithValue("@provenance", (object?)definition.ProvenanceJson ?? DBNull.Value);
            insert.ExecuteNonQuery();
            return (ReadStudy(definition.Name, tx)!, true);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StudyRecord?> GetStudyAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return RunAsync(write: false, _ => ReadStudy(name, null), cancellationToken);
    }

    private StudyRecord? ReadStudy(string name, SqliteTransaction? tx)
    {
        using var command = Command($"SELECT {StudyColumns} FROM studies WHERE name = @name", tx);
        command.Parameters.AddWithValue("@name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadStudy(reader) : null;
    }

    private StudyRecord ReadStudy(SqliteDataReader r)
    {
        var study = new StudyRecord(r.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture), r.GetString(1), Text(r, 2), StoredValues.Tags(r.GetString(3)),
            r.GetString(4), r.GetString(5), r.GetInt64(6), StoredValues.UnixMilliseconds(r.GetInt64(7)), Text(r, 8));
        _studyNames[study.Id] = study.Name;
        return study;
    }

    /// <inheritdoc />
    public Task<int> EnqueueAsync(string studyId, IReadOnlyList<NewTrial> trials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(trials);
        return RunAsync(write: true, tx => InsertTrials(tx, studyId, trials), cancellationToken);
    }

    /// <summary>Inserts the trials whose keys the study does not have yet, in the caller's write transaction.</summary>
    private int InsertTrials(SqliteTransaction? tx, string studyId, IReadOnlyList<NewTrial> trials)
    {
        // Keys already stored are skipped up front; inside this write transaction nobody else can add any,
        // so an insert that is still ignored can only be a random-id collision, retried with a new id.
        var existing = new HashSet<string>(StringComparer.Ordinal);
        using (var keys = Command("SELECT key FROM trials WHERE study_id = @s", tx))
        {
            keys.Parameters.AddWithValue("@s", StudyKey(studyId));
            using var reader = keys.ExecuteReader();
            while (reader.Read())
            {
                existing.Add(reader.GetString(0));
            }
        }
        using var insert = Command(
            "INSERT INTO trials (id, study_id, key, seq, replicate, params, seed, priority, status, attempts, max_attempts, created, name, cpus, memory, gpu_milli, memory_limit) " +
            "VALUES (@id, @s, @key, @seq, @rep, @params, @seed, @prio, 'pending', 0, @max, @now, @name, @cpus, @mem, @gpu, @limit) ON CONFLICT DO NOTHING", tx);
        var needs = new NeedParameters(insert);
        var pName = insert.Parameters.Add("@name", SqliteType.Text);
        var pId = insert.Parameters.Add("@id", SqliteType.Text);
        insert.Parameters.AddWithValue("@s", StudyKey(studyId));
        var pKey = insert.Parameters.Add("@key", SqliteType.Text);
        var pSeq = insert.Parameters.Add("@seq", SqliteType.Integer);
        var pRep = insert.Parameters.Add("@rep", SqliteType.Integer);
        var pParams = insert.Parameters.Add("@params", SqliteType.Text);
        var pSeed = insert.Parameters.Add("@seed", SqliteType.Integer);
        var pPrio = insert.Parameters.Add("@prio", SqliteType.Integer);
        var pMax = insert.Parameters.Add("@max", SqliteType.Integer);
        insert.Parameters.AddWithValue("@now", NowMs);
        insert.Prepare();
        var added = 0;
        foreach (var trial in trials)
        {
            if (!existing.Add(trial.Key))
            {
                continue;
            }
            pKey.Value = trial.Key;
            pSeq.Value = trial.Seq;
            pRep.Value = trial.Replicate;
            pParams.Value = trial.ParamsJson;
            pSeed.Value = trial.Seed;
            pPrio.Value = trial.Priority;
            pMax.Value = trial.MaxAttempts;
            pName.Value = (object?)trial.Name ?? DBNull.Value;
            needs.Set(trial.Needs);
            do
            {
                pId.Value = TrialIdentity.NewId();
            }
            while (insert.ExecuteNonQuery() == 0);
            added++;
        }
        return added;
    }

    /// <inheritdoc />
    public Task AddStudyEventAsync(string studyId, string kind, string dataJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(dataJson);
        return RunAsync(write: true, tx =>
        {
            using var insert = Command("INSERT INTO study_events (study_id, kind, time, data) VALUES (@s, @k, @t, @d)", tx);
            insert.Parameters.AddWithValue("@s", StudyKey(studyId));
            insert.Parameters.AddWithValue("@k", kind);
            insert.Parameters.AddWithValue("@t", NowMs);
            insert.Parameters.AddWithValue("@d", dataJson);
            return insert.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StudyEvent>> GetStudyEventsAsync(string studyId, string? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync<IReadOnlyList<StudyEvent>>(write: false, _ =>
        {
            using var query = Command("SELECT kind, time, data FROM study_events WHERE study_id = @s AND (@k IS NULL OR kind = @k) ORDER BY id");
            query.Parameters.AddWithValue("@s", StudyKey(studyId));
            query.Parameters.AddWithValue("@k", (object?)kind ?? DBNull.Value);
            using var reader = query.ExecuteReader();
            var events = new List<StudyEvent>();
            while (reader.Read())
            {
                events.Add(new StudyEvent(reader.GetString(0), StoredValues.UnixMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
            }
            return events;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteStudyAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(write: true, tx =>
        {
            using var metrics = Command("DELETE FROM metric_chunks WHERE trial_id IN (SELECT id FROM trials WHERE study_id = @s); DELETE FROM trial_files WHERE trial_id IN (SELECT id FROM trials WHERE study_id = @s)", tx);
            metrics.Parameters.AddWithValue("@s", StudyKey(studyId));
            metrics.ExecuteNonQuery();
            using var trials = Command("DELETE FROM trials WHERE study_id = @s", tx);
            trials.Parameters.AddWithValue("@s", StudyKey(studyId));
            trials.ExecuteNonQuery();
            using var study = Command("DELETE FROM study_events WHERE study_id = @s; DELETE FROM point_decisions WHERE study_id = @s; DELETE FROM studies WHERE id = @s", tx);
            study.Parameters.AddWithValue("@s", StudyKey(studyId));
            return study.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> DeleteTrialsAsync(IReadOnlyList<string> trialIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialIds);
        if (trialIds.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(write: true, tx =>
        {
            using var metrics = Command(string.Empty, tx);
            var ids = InList(metrics, "i", trialIds);
            metrics.CommandText = $"DELETE FROM metric_chunks WHERE trial_id IN {ids}; DELETE FROM trial_files WHERE trial_id IN {ids}";
            metrics.ExecuteNonQuery();
            using var trials = Command(string.Empty, tx);
            trials.CommandText = "DELETE FROM trials WHERE id IN " + InList(trials, "i", trialIds);
            return trials.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task UpdateStudySpecAsync(string studyId, string specJson, string? description, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(specJson);
        ArgumentNullException.ThrowIfNull(tags);
        return RunAsync(write: true, tx =>
        {
            using var update = Command("UPDATE studies SET spec = @spec, description = @d, tags = @tags WHERE id = @s AND (spec <> @spec OR description IS NOT @d OR tags <> @tags)", tx);
            update.Parameters.AddWithValue("@spec", specJson);
            update.Parameters.AddWithValue("@d", (object?)description ?? DBNull.Value);
            update.Parameters.AddWithValue("@tags", JsonSerializer.Serialize(tags));
            update.Parameters.AddWithValue("@s", StudyKey(studyId));
            return update.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> RecordRunAsync(string runId, string provenanceJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(provenanceJson);
        return RunAsync(write: true, tx =>
        {
            using var insert = Command("INSERT INTO runs (id, created, provenance) VALUES (@id, @now, @p) ON CONFLICT DO NOTHING", tx);
            insert.Parameters.AddWithValue("@id", runId);
            insert.Parameters.AddWithValue("@now", NowMs);
            insert.Parameters.AddWithValue("@p", provenanceJson);
            return insert.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<string?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return RunAsync(write: false, _ =>
        {
            using var select = Command("SELECT provenance FROM runs WHERE id = @id");
            select.Parameters.AddWithValue("@id", runId);
            return select.ExecuteScalar() as string;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> TagTrialsAsync(IReadOnlyList<string> trialIds, IReadOnlyList<string> add, IReadOnlyList<string> remove, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialIds);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        if (trialIds.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(write: true, tx =>
        {
            using var select = Command(string.Empty, tx);
            select.CommandText = "SELECT id, tags FROM trials WHERE id IN " + InList(select, "i", trialIds);
            var current = new List<(string Id, IReadOnlyList<string> Tags)>();
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    current.Add((reader.GetString(0), StoredValues.Tags(Text(reader, 1))));
                }
            }
            using var update = Command("UPDATE trials SET tags = @tags WHERE id = @id", tx);
            var pTags = update.Parameters.Add("@tags", SqliteType.Text);
            var pId = update.Parameters.Add("@id", SqliteType.Text);
            foreach (var (id, tags) in current)
            {
                pTags.Value = JsonSerializer.Serialize(StoredValues.MergeTags(tags, add, remove));
                pId.Value = id;
                update.ExecuteNonQuery();
            }
            return current.Count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> NoteTrialsAsync(IReadOnlyList<string> trialIds, string? note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trialIds);
        if (trialIds.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(write: true, tx =>
        {
            using var update = Command(string.Empty, tx);
            update.CommandText = "UPDATE trials SET note = @note WHERE id IN " + InList(update, "i", trialIds);
            update.Parameters.AddWithValue("@note", (object?)note ?? DBNull.Value);
            return update.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <summary>The parameters of a trial's needs in an insert (<c>@cpus, @mem, @gpu, @limit</c>).</summary>
    private sealed class NeedParameters(SqliteCommand command)
    {
        private readonly SqliteParameter _cpus = command.Parameters.Add("@cpus", SqliteType.Integer);
        private readonly SqliteParameter _memory = command.Parameters.Add("@mem", SqliteType.Integer);
        private readonly SqliteParameter _gpus = command.Parameters.Add("@gpu", SqliteType.Integer);
        private readonly SqliteParameter _limit = command.Parameters.Add("@limit", SqliteType.Integer);

        public void Set(Resources.TrialNeeds needs)
        {
            _cpus.Value = needs.Cpus;
            _memory.Value = needs.MemoryBytes;
            _gpus.Value = needs.GpuMilli;
            _limit.Value = (object?)needs.MemoryLimitBytes ?? DBNull.Value;
        }
    }
}
