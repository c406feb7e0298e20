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
        return RunAsync(async (connection, tx) =>
        {
            // Binary COPY into a private staging table, then one INSERT ... ON CONFLICT DO NOTHING: a million trials
            // take seconds, and concurrent fillers of the same study add each key exactly once.
            using (var create = Command("CREATE TEMP TABLE staging (id text, key text, seq bigint, replicate integer, params text, seed bigint, priority integer, max_attempts integer) ON COMMIT DROP", connection, tx))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            using (var writer = await connection.BeginBinaryImportAsync("COPY staging FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                foreach (var trial in trials)
                {
                    await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(Trials.TrialIdentity.NewId(), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.Key, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.Replicate, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.ParamsJson, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.Seed, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.Priority, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(trial.MaxAttempts, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                }
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            var added = 0;
            long left = trials.Count;
            // Ids are 8 random hex characters: in a big store a few collide with ids already taken. Those rows are
            // skipped by DO NOTHING; give them new ids and insert again until every key is in.
            for (var round = 0; ; round++)
            {
                using (var insert = Command(
                    "INSERT INTO trials (id, study_id, key, seq, replicate, params, seed, priority, status, attempts, max_attempts, created) " +
                    "SELECT id, @s, key, seq, replicate, params, seed, priority, 'pending', 0, max_attempts, @now FROM staging ORDER BY seq ON CONFLICT DO NOTHING", connection, tx))
                {
                    insert.Parameters.AddWithValue("s", StudyKey(studyId));
                    insert.Parameters.AddWithValue("now", Now);
                    insert.CommandTimeout = 0;
                    var inserted = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    added += inserted;
                    if (inserted == left)
                    {
                        break;
                    }
                }
                using var missing = Command(
                    "DELETE FROM staging g WHERE EXISTS (SELECT 1 FROM trials t WHERE t.study_id = @s AND t.key = g.key); " +
                    "UPDATE staging SET id = substr(md5(random()::text || clock_timestamp()::text), 1, 8); SELECT COUNT(*) FROM staging", connection, tx);
                missing.Parameters.AddWithValue("s", StudyKey(studyId));
                missing.CommandTimeout = 0;
                left = Convert.ToInt64(await missing.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                if (left == 0)
                {
                    break;
                }
                if (round > 20)
                {
                    throw new InvalidOperationException($"could not find free trial ids for {left} trials");
                }
            }
            if (added > 0)
            {
                await NotifyAsync(connection, tx, studyId, cancellationToken).ConfigureAwait(false);
            }
            return added;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteStudyAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(async (connection, tx) =>
        {
            // Cascades to trials, metric chunks and files.
            using var delete = Command("DELETE FROM studies WHERE id = @s", connection, tx);
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
}
