using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

// What users do to the queue (expt retry, expt cancel, the dashboard's actions): reset and cancel trials.
public sealed partial class SqliteStore
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
        return RunAsync(write: true, tx =>
        {
            using var metrics = Command(string.Empty, tx);
            var where = Where(metrics, studyId, statuses, trialIds);
            metrics.CommandText = $"DELETE FROM metric_chunks WHERE trial_id IN (SELECT id FROM trials WHERE {where}); DELETE FROM trial_files WHERE trial_id IN (SELECT id FROM trials WHERE {where})";
            metrics.ExecuteNonQuery();
            using var reset = Command(string.Empty, tx);
            reset.CommandText = "UPDATE trials SET status = 'pending', attempts = 0, interruptions = 0, results = NULL, error = NULL, exit_code = NULL, " +
                $"started = NULL, finished = NULL, duration_ms = NULL, host = NULL, pid = NULL, {ClearLease} WHERE {Where(reset, studyId, statuses, trialIds)}";
            return reset.ExecuteNonQuery();
        }, cancellationToken);
    }

    private static string Where(SqliteCommand command, string? studyId, IReadOnlyList<TrialStatus> statuses, IReadOnlyList<string>? trialIds)
    {
        var clauses = new List<string> { "status IN " + InList(command, "st", StatusNames(statuses)) };
        if (studyId is not null)
        {
            command.Parameters.AddWithValue("@s", StudyKey(studyId));
            clauses.Add("study_id = @s");
        }
        if (trialIds is not null)
        {
            clauses.Add("id IN " + InList(command, "i", trialIds));
        }
        return string.Join(" AND ", clauses);
    }

    /// <inheritdoc />
    public Task<int> LearnMemoryAsync(string studyId, long memoryBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync(write: true, tx =>
        {
            using var command = Command("UPDATE trials SET memory = @m WHERE study_id = @s AND status = 'pending' AND (memory < @m OR memory = @u)", tx);
            command.Parameters.AddWithValue("@m", memoryBytes);
            command.Parameters.AddWithValue("@u", Resources.ResourcePlan.Unmeasured);
            command.Parameters.AddWithValue("@s", StudyKey(studyId));
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CancelAsync(string? studyId, IReadOnlyList<string>? trialIds = null, CancellationToken cancellationToken = default)
    {
        return RunAsync(write: true, tx =>
        {
            using var command = Command(string.Empty, tx);
            command.Parameters.AddWithValue("@now", NowMs);
            command.CommandText = $"UPDATE trials SET status = 'cancelled', finished = @now, error = '{TrialRows.CancelledError}', {ClearLease} " +
                $"WHERE {Where(command, studyId, [TrialStatus.Pending, TrialStatus.Running], trialIds)}";
            return command.ExecuteNonQuery();
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
        return RunAsync(write: true, tx =>
        {
            using var command = Command(string.Empty, tx);
            command.Parameters.AddWithValue("@now", NowMs);
            command.Parameters.AddWithValue("@reason", TrialRows.WithdrawnError);
            command.CommandText = $"UPDATE trials SET status = 'cancelled', finished = @now, error = @reason, {ClearLease} " +
                $"WHERE {Where(command, studyId, [TrialStatus.Pending], trialIds)}";
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }
}
