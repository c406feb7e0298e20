using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

// Interruptions: expired leases and dead runners give their trials back without using an attempt (see AttemptPolicy).
public sealed partial class SqliteStore
{
    private void ExpireLeases(SqliteTransaction? tx, long now, string studyClause, string? studyId)
    {
        Interrupt(tx, now, $"status = 'running' AND lease_until < @now{studyClause}", AttemptPolicy.LeaseExpired, command =>
        {
            if (studyId is not null)
            {
                command.Parameters.AddWithValue("@s", StudyKey(studyId));
            }
        });
    }

    /// <summary>
    /// Gives back running trials as interrupted (see <see cref="AttemptPolicy"/>): to the queue without using up an
    /// attempt, the interruption counted and kept in the history; after too many in a row, failed. What the attempt
    /// streamed goes with it.
    /// </summary>
    private int Interrupt(SqliteTransaction? tx, long now, string condition, string reason, Action<SqliteCommand> bind)
    {
        using var clear = Command($"DELETE FROM metric_chunks WHERE trial_id IN (SELECT id FROM trials WHERE {condition}); DELETE FROM trial_files WHERE trial_id IN (SELECT id FROM trials WHERE {condition})", tx);
        clear.Parameters.AddWithValue("@now", now);
        bind(clear);
        clear.ExecuteNonQuery();
        using var update = Command(
            "UPDATE trials SET status = CASE WHEN interruptions + 1 >= @cap THEN 'failed' ELSE 'pending' END, " +
            "attempts = CASE WHEN interruptions + 1 >= @cap THEN attempts ELSE MAX(attempts - 1, 0) END, " +
            "finished = CASE WHEN interruptions + 1 >= @cap THEN @now ELSE NULL END, " +
            "started = CASE WHEN interruptions + 1 >= @cap THEN started ELSE NULL END, " +
            "error = CASE WHEN interruptions + 1 >= @cap THEN @capped ELSE @reason END, " +
            $"history = {HistoryAppend("'interrupted'", "@reason")}, interruptions = interruptions + 1, {ClearLease} " +
            $"WHERE {condition}", tx);
        update.Parameters.AddWithValue("@cap", AttemptPolicy.MaxInterruptions);
        update.Parameters.AddWithValue("@capped", AttemptPolicy.TooManyInterruptions);
        update.Parameters.AddWithValue("@reason", reason);
        update.Parameters.AddWithValue("@iso", Iso(now));
        update.Parameters.AddWithValue("@now", now);
        bind(update);
        return update.ExecuteNonQuery();
    }

    // The history is a JSON array; SQLite's json_insert appends at '$[#]'. The entry's attempt is the row's own.
    private static string HistoryAppend(string @event, string reason) =>
        $"json_insert(COALESCE(history, '[]'), '$[#]', json_object('time', @iso, 'attempt', attempts, 'event', {@event}, 'reason', {reason}))";

    private static string Iso(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public Task<int> InterruptAsync(IReadOnlyList<string> leaseOwners, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leaseOwners);
        ArgumentNullException.ThrowIfNull(reason);
        if (leaseOwners.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(write: true, tx =>
        {
            var names = string.Join(',', leaseOwners.Select((_, i) => $"@o{i}"));
            return Interrupt(tx, NowMs, $"status = 'running' AND lease_owner IN ({names})", reason, command =>
            {
                for (var i = 0; i < leaseOwners.Count; i++)
                {
                    command.Parameters.AddWithValue($"@o{i}", leaseOwners[i]);
                }
            });
        }, cancellationToken);
    }

    private string StudyName(string studyId, SqliteTransaction? tx)
    {
        if (_studyNames.TryGetValue(studyId, out var name))
        {
            return name;
        }
        using var command = Command("SELECT name FROM studies WHERE id = @id", tx);
        command.Parameters.AddWithValue("@id", StudyKey(studyId));
        name = (string?)command.ExecuteScalar() ?? studyId;
        _studyNames[studyId] = name;
        return name;
    }
}
