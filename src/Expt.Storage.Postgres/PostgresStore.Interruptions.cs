using Npgsql;

namespace Expt.Storage.Postgres;

// Interruptions: expired leases and dead runners give their trials back without using an attempt (see AttemptPolicy).
public sealed partial class PostgresStore
{
    /// <summary>
    /// Gives back the trials <paramref name="select"/> picks as interrupted: to the queue without using up an attempt,
    /// the interruption counted and kept in the history; after too many in a row, failed. What they streamed goes.
    /// </summary>
    private static async Task<int> InterruptAsync(NpgsqlConnection connection, NpgsqlTransaction tx, DateTimeOffset now, string select, string reason, Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        using var update = Command(
            "UPDATE trials t SET status = CASE WHEN t.interruptions + 1 >= @cap THEN 'failed' ELSE 'pending' END, " +
            "attempts = CASE WHEN t.interruptions + 1 >= @cap THEN t.attempts ELSE GREATEST(t.attempts - 1, 0) END, " +
            "finished = CASE WHEN t.interruptions + 1 >= @cap THEN @now ELSE NULL END, " +
            "started = CASE WHEN t.interruptions + 1 >= @cap THEN t.started ELSE NULL END, " +
            "error = CASE WHEN t.interruptions + 1 >= @cap THEN @capped ELSE @reason END, " +
            $"history = {HistoryAppend("'interrupted'", "@reason")}, interruptions = t.interruptions + 1, {ClearLease} " +
            $"FROM ({select}) x WHERE t.id = x.id RETURNING t.id, t.study_id", connection, tx);
        update.Parameters.AddWithValue("cap", AttemptPolicy.MaxInterruptions);
        update.Parameters.AddWithValue("capped", AttemptPolicy.TooManyInterruptions);
        update.Parameters.AddWithValue("reason", reason);
        update.Parameters.AddWithValue("now", now);
        bind(update);
        var ids = new List<string>();
        var studies = new HashSet<long>();
        using (var reader = await update.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
                studies.Add(reader.GetInt64(1));
            }
        }
        if (ids.Count > 0)
        {
            await ClearAttemptAsync(connection, tx, [.. ids], cancellationToken).ConfigureAwait(false);
            foreach (var study in studies)
            {
                await NotifyAsync(connection, tx, StudyIdText(study), cancellationToken).ConfigureAwait(false);
            }
        }
        return ids.Count;
    }

    // The history is a JSON array kept as text; the entry's attempt is the row's own.
    private static string HistoryAppend(string @event, string reason) =>
        $"(COALESCE(t.history, '[]')::jsonb || jsonb_build_array(jsonb_build_object('time', to_char(@now AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'attempt', t.attempts, 'event', {@event}, 'reason', {reason})))::text";

    /// <inheritdoc />
    public Task<int> InterruptAsync(IReadOnlyList<string> leaseOwners, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leaseOwners);
        ArgumentNullException.ThrowIfNull(reason);
        if (leaseOwners.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync((connection, tx) => InterruptAsync(connection, tx, Now, "SELECT id FROM trials WHERE status = 'running' AND lease_owner = ANY(@owners) FOR UPDATE", reason,
            command => command.Parameters.AddWithValue("owners", leaseOwners.ToArray()), cancellationToken), cancellationToken);
    }

    private async Task<string> StudyNameAsync(long studyId, NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        var id = StudyIdText(studyId);
        if (_studyNames.TryGetValue(id, out var name))
        {
            return name;
        }
        using var command = Command("SELECT name FROM studies WHERE id = @s", connection, tx);
        command.Parameters.AddWithValue("s", studyId);
        name = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? id;
        _studyNames[id] = name;
        return name;
    }

    private static async Task ClearAttemptAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string[] trialIds, CancellationToken cancellationToken)
    {
        using var clear = Command("DELETE FROM metric_chunks WHERE trial_id = ANY(@ids); DELETE FROM trial_files WHERE trial_id = ANY(@ids)", connection, tx);
        clear.Parameters.AddWithValue("ids", trialIds);
        await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
