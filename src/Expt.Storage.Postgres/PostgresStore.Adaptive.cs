using Expt.Adaptive;
using Npgsql;
using NpgsqlTypes;

namespace Expt.Storage.Postgres;

// Adaptive replications: decisions taken in one transaction under the study row's lock. FOR NO KEY UPDATE serializes
// deciders of one study without blocking the foreign-key checks of workers inserting or claiming its trials; the lock
// ends with the transaction, so it holds through PgBouncer in transaction mode.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<AdaptiveStep> AdvanceAsync(string studyId, AdaptiveRules rules, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(rules);
        return RunAsync(async (connection, tx) =>
        {
            using (var lockStudy = Command("SELECT 1 FROM studies WHERE id = @s FOR NO KEY UPDATE", connection, tx))
            {
                lockStudy.Parameters.AddWithValue("s", StudyKey(studyId));
                if (await lockStudy.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                {
                    return AdaptiveStep.None; // deleted meanwhile
                }
            }
            IReadOnlyList<TrialRecord> trials;
            using (var command = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.study_id = @s ORDER BY t.seq", connection, tx))
            {
                command.Parameters.AddWithValue("s", StudyKey(studyId));
                trials = await ReadTrialsAsync(command, cancellationToken).ConfigureAwait(false);
            }
            var decided = await ReadDecisionsAsync(connection, tx, studyId, cancellationToken).ConfigureAwait(false);
            var step = rules.Decide(trials, decided, Now);
            if (step.IsEmpty)
            {
                return step;
            }
            if (step.NewTrials.Count > 0)
            {
                await InsertTrialsAsync(connection, tx, studyId, step.NewTrials, cancellationToken).ConfigureAwait(false);
            }
            if (step.Decisions.Count > 0)
            {
                using var insert = Command(
                    "INSERT INTO point_decisions (study_id, point, params, state, round, replicates, p_value, reason, decided) " +
                    "SELECT @s, * FROM unnest(@point, @params, @state, @round, @reps, @p, @reason, @decided) ON CONFLICT DO NOTHING", connection, tx);
                var d = step.Decisions;
                insert.Parameters.AddWithValue("s", StudyKey(studyId));
                insert.Parameters.AddWithValue("point", d.Select(x => x.Point).ToArray());
                insert.Parameters.AddWithValue("params", d.Select(x => x.ParamsJson).ToArray());
                insert.Parameters.AddWithValue("state", d.Select(x => x.StateName).ToArray());
                insert.Parameters.AddWithValue("round", d.Select(x => x.Round).ToArray());
                insert.Parameters.AddWithValue("reps", d.Select(x => x.Replicates).ToArray());
                insert.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = d.Select(x => x.PValue is { } p && double.IsFinite(p) ? (object)p : DBNull.Value).ToArray() });
                insert.Parameters.AddWithValue("reason", d.Select(x => x.Reason).ToArray());
                insert.Parameters.AddWithValue("decided", d.Select(x => x.Decided).ToArray());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return step;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PointDecision>> GetPointDecisionsAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync<IReadOnlyList<PointDecision>>(async (connection, tx) => await ReadDecisionsAsync(connection, tx, studyId, cancellationToken).ConfigureAwait(false), cancellationToken);
    }

    private static async Task<List<PointDecision>> ReadDecisionsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string studyId, CancellationToken cancellationToken)
    {
        using var command = Command("SELECT point, params, state, round, replicates, p_value, reason, decided FROM point_decisions WHERE study_id = @s ORDER BY decided, point", connection, tx);
        command.Parameters.AddWithValue("s", StudyKey(studyId));
        using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var decisions = new List<PointDecision>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // A state this version does not know (a newer Expt wrote it) still marks the point as decided.
            var state = PointDecision.Parse(r.GetString(2)) ?? PointState.Survivor;
            decisions.Add(new PointDecision(r.GetString(0), r.GetString(1), state, r.GetInt32(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetDouble(5), r.GetString(6), r.GetFieldValue<DateTimeOffset>(7)));
        }
        return decisions;
    }
}
