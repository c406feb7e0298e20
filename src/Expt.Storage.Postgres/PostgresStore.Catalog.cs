using Npgsql;
using NpgsqlTypes;

namespace Expt.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string StudyColumns = "id, name, description, tags, spec, fingerprint, seed, created, provenance";

    /// <inheritdoc />
    public Task<(StudyRecord Study, bool Created)> CreateStudyAsync(StudyDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return RunAsync(async (connection, tx) =>
        {
            // Many fillers may create the same study at once: exactly one insert wins, the others read its row.
            using var insert = Command(
                "INSERT INTO studies (name, description, tags, spec, fingerprint, seed, created, provenance) " +
                "VALUES (@name, @description, @tags, @spec, @fingerprint, @seed, @created, @provenance) ON CONFLICT (name) DO NOTHING", connection, tx);
            insert.Parameters.AddWithValue("name", definition.Name);
            insert.Parameters.AddWithValue("description", NpgsqlDbType.Text, (object?)definition.Description ?? DBNull.Value);
            insert.Parameters.AddWithValue("tags", definition.Tags.ToArray());
            insert.Parameters.AddWithValue("spec", definition.SpecJson);
            insert.Parameters.AddWithValue("fingerprint", definition.Fingerprint);
            insert.Parameters.AddWithValue("seed", definition.Seed);
            insert.Parameters.AddWithValue("created", Now);
            insert.Parameters.AddWithValue("provenance", NpgsqlDbType.Text, (object?)definition.ProvenanceJson ?? DBNull.Value);
            var created = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            return ((await ReadStudyAsync(definition.Name, connection, tx, cancellationToken).ConfigureAwait(false))!, created);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StudyRecord?> GetStudyAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return RunAsync((connection, tx) => ReadStudyAsync(name, connection, tx, cancellationToken), cancellationToken);
    }

    private async Task<StudyRecord?> ReadStudyAsync(string name, NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        using var command = Command($"SELECT {StudyColumns} FROM studies WHERE name = @name", connection, tx);
        command.Parameters.AddWithValue("name", name);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadStudy(reader) : null;
    }

    private StudyRecord ReadStudy(NpgsqlDataReader r)
    {
        var study = new StudyRecord(StudyIdText(r.GetInt64(0)), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<string[]>(3),
            r.GetString(4), r.GetString(5), r.GetInt64(6), r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetString(8));
        _studyNames[study.Id] = study.Name;
        return study;
    }

    /// <inheritdoc />
    public Task<int> EnqueueAsync(string studyId, IReadOnlyList<NewTrial> trials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(trials);
        if (trials.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync((connection, tx) => InsertTrialsAsync(connection, tx, studyId, trials, cancellationToken), cancellationToken);
    }

    /// <summary>Inserts the trials whose keys the study does not have yet, in the caller's transaction; announces new work.</summary>
    private async Task<int> InsertTrialsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string studyId, IReadOnlyList<NewTrial> trials, CancellationToken cancellationToken)
    {
        // Binary COPY into a private staging table, then one INSERT ... ON CONFLICT DO NOTHING: a million trials
        // take seconds, and concurrent fillers of the same study add each key exactly once.
        using (var create = Command("CREATE TEMP TABLE staging (id text COLLATE \"C\", key text COLLATE \"C\", seq bigint, replicate integer, params text, seed bigint, priority integer, max_attempts integer, name text, cpus integer, memory bigint, gpu_milli integer, memory_limit bigint) ON COMMIT DROP", connection, tx))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        using (var writer = await connection.BeginBinaryImportAsync("COPY staging FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            // Synchronous writes: they only fill a buffer, flushed as it fills; eight awaits per row cost more.
            foreach (var trial in trials)
            {
                writer.StartRow();
                writer.Write(Trials.TrialIdentity.NewId(), NpgsqlDbType.Text);
                writer.Write(trial.Key, NpgsqlDbType.Text);
                writer.Write(trial.Seq, NpgsqlDbType.Bigint);
                writer.Write(trial.Replicate, NpgsqlDbType.Integer);
                writer.Write(trial.ParamsJson, NpgsqlDbType.Text);
                writer.Write(trial.Seed, NpgsqlDbType.Bigint);
                writer.Write(trial.Priority, NpgsqlDbType.Integer);
                writer.Write(trial.MaxAttempts, NpgsqlDbType.Integer);
                if (trial.Name is null)
                {
                    writer.WriteNull();
                }
                else
                {
                    writer.Write(trial.Name, NpgsqlDbType.Text);
                }
                writer.Write(trial.Needs.Cpus, NpgsqlDbType.Integer);
                writer.Write(trial.Needs.MemoryBytes, NpgsqlDbType.Bigint);
                writer.Write(trial.Needs.GpuMilli, NpgsqlDbType.Integer);
                if (trial.Needs.MemoryLimitBytes is { } limit)
                {
                    writer.Write(limit, NpgsqlDbType.Bigint);
                }
                else
                {
                    writer.WriteNull();
                }
            }
            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        var inserted = new HashSet<string>(trials.Count, StringComparer.Ordinal);
        using (var insert = Command(
            "INSERT INTO trials (id, study_id, key, seq, replicate, params, seed, priority, status, attempts, max_attempts, created, name, cpus, memory, gpu_milli, memory_limit) " +
            "SELECT id, @s, key, seq, replicate, params, seed, priority, 'pending', 0, max_attempts, @now, name, cpus, memory, gpu_milli, memory_limit FROM staging ORDER BY seq " +
            "ON CONFLICT DO NOTHING RETURNING key", connection, tx))
        {
            insert.Parameters.AddWithValue("s", StudyKey(studyId));
            insert.Parameters.AddWithValue("now", Now);
            insert.CommandTimeout = 0;
            using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted.Add(reader.GetString(0));
            }
        }
        var missing = trials.Where(t => !inserted.Contains(t.Key)).DistinctBy(t => t.Key, StringComparer.Ordinal).ToList();
        // Skipped rows are keys the study already has (a resumed study, a concurrent filler), or ids that collided
        // with ids taken elsewhere in the store (8 random hex characters): those are inserted again with new ids.
        for (var round = 0; missing.Count > 0; round++)
        {
            if (round > 20)
            {
                throw new InvalidOperationException($"could not find free trial ids for {missing.Count} trials");
            }
            var existing = new HashSet<string>(StringComparer.Ordinal);
            using (var known = Command("SELECT key FROM trials WHERE study_id = @s AND key = ANY(@keys)", connection, tx))
            {
                known.Parameters.AddWithValue("s", StudyKey(studyId));
                known.Parameters.AddWithValue("keys", missing.Select(t => t.Key).ToArray());
                using var reader = await known.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    existing.Add(reader.GetString(0));
                }
            }
            var collided = missing.Where(t => !existing.Contains(t.Key)).ToList();
            missing = collided.Count == 0 ? [] : await InsertWithNewIdsAsync(connection, tx, studyId, collided, inserted, cancellationToken).ConfigureAwait(false);
        }
        var added = inserted.Count;
        if (added > 0)
        {
            await NotifyAsync(connection, tx, studyId, cancellationToken).ConfigureAwait(false);
        }
        return added;
    }

    private async Task<List<NewTrial>> InsertWithNewIdsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string studyId, List<NewTrial> trials, HashSet<string> inserted, CancellationToken cancellationToken)
    {
        using var insert = Command(
            "INSERT INTO trials (id, study_id, key, seq, replicate, params, seed, priority, status, attempts, max_attempts, created, name, cpus, memory, gpu_milli, memory_limit) " +
            "SELECT id, @s, key, seq, replicate, params, seed, priority, 'pending', 0, max_attempts, @now, name, cpus, memory, gpu_milli, memory_limit " +
            "FROM unnest(@ids, @keys, @seqs, @replicates, @params, @seeds, @priorities, @maxes, @names, @cpus, @memory, @gpus, @limits) AS n(id, key, seq, replicate, params, seed, priority, max_attempts, name, cpus, memory, gpu_milli, memory_limit) " +
            "ON CONFLICT DO NOTHING RETURNING key", connection, tx);
        insert.Parameters.AddWithValue("s", StudyKey(studyId));
        insert.Parameters.AddWithValue("now", Now);
        insert.Parameters.AddWithValue("ids", trials.Select(_ => Trials.TrialIdentity.NewId()).ToArray());
        insert.Parameters.AddWithValue("keys", trials.Select(t => t.Key).ToArray());
        insert.Parameters.AddWithValue("seqs", trials.Select(t => t.Seq).ToArray());
        insert.Parameters.AddWithValue("replicates", trials.Select(t => t.Replicate).ToArray());
        insert.Parameters.AddWithValue("params", trials.Select(t => t.ParamsJson).ToArray());
        insert.Parameters.AddWithValue("seeds", trials.Select(t => t.Seed).ToArray());
        insert.Parameters.AddWithValue("priorities", trials.Select(t => t.Priority).ToArray());
        insert.Parameters.AddWithValue("maxes", trials.Select(t => t.MaxAttempts).ToArray());
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = trials.Select(t => t.Name).ToArray() });
        insert.Parameters.AddWithValue("cpus", trials.Select(t => t.Needs.Cpus).ToArray());
        insert.Parameters.AddWithValue("memory", trials.Select(t => t.Needs.MemoryBytes).ToArray());
        insert.Parameters.AddWithValue("gpus", trials.Select(t => t.Needs.GpuMilli).ToArray());
        insert.Parameters.Add(new NpgsqlParameter<long?[]>("limits", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = trials.Select(t => t.Needs.MemoryLimitBytes).ToArray() });
        var now = new HashSet<string>(StringComparer.Ordinal);
        using (var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                now.Add(reader.GetString(0));
            }
        }
        inserted.UnionWith(now);
        return trials.Where(t => !now.Contains(t.Key)).ToList();
    }

    /// <inheritdoc />
    public Task AddStudyEventAsync(string studyId, string kind, string dataJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(dataJson);
        return RunAsync(async (connection, tx) =>
        {
            using var insert = Command("INSERT INTO study_events (study_id, kind, time, data) VALUES (@s, @k, @t, @d)", connection, tx);
            insert.Parameters.AddWithValue("s", StudyKey(studyId));
            insert.Parameters.AddWithValue("k", kind);
            insert.Parameters.AddWithValue("t", Now);
            insert.Parameters.AddWithValue("d", dataJson);
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StudyEvent>> GetStudyEventsAsync(string studyId, string? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync<IReadOnlyList<StudyEvent>>(async (connection, tx) =>
        {
            using var query = Command("SELECT kind, time, data FROM study_events WHERE study_id = @s AND (@k::text IS NULL OR kind = @k) ORDER BY id", connection, tx);
            query.Parameters.AddWithValue("s", StudyKey(studyId));
            query.Parameters.AddWithValue("k", NpgsqlDbType.Text, (object?)kind ?? DBNull.Value);
            using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var events = new List<StudyEvent>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(new StudyEvent(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2)));
            }
            return events;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteStudyAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(async (connection, tx) =>
        {
            // Trials first (their metric chunks and files cascade), then the study.
            using var delete = Command("DELETE FROM trials WHERE study_id = @s; DELETE FROM point_decisions WHERE study_id = @s; DELETE FROM studies WHERE id = @s", connection, tx);
            delete.Parameters.AddWithValue("s", StudyKey(studyId));
            delete.CommandTimeout = 0;
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        return RunAsync(async (connection, tx) =>
        {
            using var delete = Command("DELETE FROM trials WHERE id = ANY(@ids)", connection, tx);
            delete.Parameters.AddWithValue("ids", trialIds.ToArray());
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task UpdateStudySpecAsync(string studyId, string specJson, string? description, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(specJson);
        ArgumentNullException.ThrowIfNull(tags);
        return RunAsync(async (connection, tx) =>
        {
            using var update = Command("UPDATE studies SET spec = @spec, description = @d, tags = @tags WHERE id = @s AND (spec <> @spec OR description IS DISTINCT FROM @d OR tags <> @tags)", connection, tx);
            update.Parameters.AddWithValue("spec", specJson);
            update.Parameters.AddWithValue("d", NpgsqlDbType.Text, (object?)description ?? DBNull.Value);
            update.Parameters.AddWithValue("tags", tags.ToArray());
            update.Parameters.AddWithValue("s", StudyKey(studyId));
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> RecordRunAsync(string runId, string provenanceJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(provenanceJson);
        return RunAsync(async (connection, tx) =>
        {
            using var insert = Command("INSERT INTO runs (id, created, provenance) VALUES (@id, @now, @p) ON CONFLICT DO NOTHING", connection, tx);
            insert.Parameters.AddWithValue("id", runId);
            insert.Parameters.AddWithValue("now", Now);
            insert.Parameters.AddWithValue("p", provenanceJson);
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<string?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return RunAsync(async (connection, tx) =>
        {
            using var select = Command("SELECT provenance FROM runs WHERE id = @id", connection, tx);
            select.Parameters.AddWithValue("id", runId);
            return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
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
        return RunAsync(async (connection, tx) =>
        {
            // Sorted and distinct, as SQLite keeps them; the cap is applied where tags are read.
            using var update = Command(
                "UPDATE trials SET tags = ARRAY(SELECT DISTINCT u.x COLLATE \"C\" FROM unnest(tags || @add) AS u(x) WHERE u.x <> ALL(@remove) ORDER BY 1) WHERE id = ANY(@ids)", connection, tx);
            update.Parameters.AddWithValue("add", add.ToArray());
            update.Parameters.AddWithValue("remove", remove.ToArray());
            update.Parameters.AddWithValue("ids", trialIds.ToArray());
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        return RunAsync(async (connection, tx) =>
        {
            using var update = Command("UPDATE trials SET note = @note WHERE id = ANY(@ids)", connection, tx);
            update.Parameters.AddWithValue("note", NpgsqlDbType.Text, (object?)note ?? DBNull.Value);
            update.Parameters.AddWithValue("ids", trialIds.ToArray());
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }
}
