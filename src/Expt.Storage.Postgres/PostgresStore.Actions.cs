using Expt.Trials;

namespace Expt.Storage.Postgres;

// What users do to the queue (expt retry, expt cancel, the dashboard's actions): reset and cancel trials.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<int> ResetAsync(string studyId, IReadOnlyList<TrialStatus> statuses, IReadOnlyList<string>? trialIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(async (connection, tx) =>
        {
            var where = "study_id = @s AND status = ANY(@st)" + (trialIds is null ? string.Empty : " AND id = ANY(@ids)");
            var count = 0;
            foreach (var sql in new[]
            {
                $"DELETE FROM metric_chunks WHERE trial_id IN (SELECT id FROM trials WHERE {where})",
                $"DELETE FROM trial_files WHERE trial_id IN (SELECT id FROM trials WHERE {where})",
                "UPDATE trials SET status = 'pending', attempts = 0, interruptions = 0, results = NULL, error = NULL, exit_code = NULL, " +
                $"started = NULL, finished = NULL, duration_ms = NULL, host = NULL, pid = NULL, {ClearLease} WHERE {where}",
            })
            {
                using var command = Command(sql, connection, tx);
                command.Parameters.AddWithValue("s", StudyKey(studyId));
                command.Parameters.AddWithValue("st", StatusNames(statuses));
                if (trialIds is not null)
                {
                    command.Parameters.AddWithValue("ids", trialIds.ToArray());
                }
                command.CommandTimeout = 0;
                count = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (count > 0)
            {
                await NotifyAsync(connection, tx, studyId, cancellationToken).ConfigureAwait(false);
            }
            return count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> LearnMemoryAsync(string studyId, long memoryBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(async (connection, tx) =>
        {
            using var command = Command("UPDATE trials SET memory = @m WHERE study_id = @s AND status = 'pending' AND (memory < @m OR memory = @u)", connection, tx);
            command.Parameters.AddWithValue("m", memoryBytes);
            command.Parameters.AddWithValue("u", Resources.ResourcePlan.Unmeasured);
            command.Parameters.AddWithValue("s", StudyKey(studyId));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CancelAsync(string? studyId, IReadOnlyList<string>? trialIds = null, CancellationToken cancellationToken = default)
    {
        return RunAsync(async (connection, tx) =>
        {
            var clauses = new List<string> { "status IN ('pending', 'running')" };
            using var cancel = Command(string.Empty, connection, tx);
            if (studyId is not null)
            {
                clauses.Add("study_id = @s");
                cancel.Parameters.AddWithValue("s", StudyKey(studyId));
            }
            if (trialIds is not null)
            {
                clauses.Add("id = ANY(@ids)");
                cancel.Parameters.AddWithValue("ids", trialIds.ToArray());
            }
            cancel.Parameters.AddWithValue("now", Now);
            cancel.CommandText = $"UPDATE trials SET status = 'cancelled', finished = @now, error = '{TrialRows.CancelledError}', {ClearLease} WHERE " + string.Join(" AND ", clauses);
            return await cancel.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> WithdrawAsync(string studyId, IReadOnlyList<string> trialIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(trialIds);
        if (trialIds.Count == 0)
        {
            return Task.FromResult(0);
        }
        return RunAsync(async (connection, tx) =>
        {
            using var withdraw = Command(
                $"UPDATE trials SET status = 'cancelled', finished = @now, error = @reason, {ClearLease} WHERE study_id = @s AND status = 'pending' AND id = ANY(@ids)",
                connection,
                tx);
            withdraw.Parameters.AddWithValue("s", StudyKey(studyId));
            withdraw.Parameters.AddWithValue("ids", trialIds.ToArray());
            withdraw.Parameters.AddWithValue("now", Now);
            withdraw.Parameters.AddWithValue("reason", TrialRows.WithdrawnError);
            return await withdraw.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }
}
