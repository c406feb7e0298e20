using Expt.Adaptive;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

// Adaptive replications: decisions taken in one write transaction (BEGIN IMMEDIATE is the study's lock here).
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<AdaptiveStep> AdvanceAsync(string studyId, AdaptiveRules rules, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        ArgumentNullException.ThrowIfNull(rules);
        return RunAsync(write: true, tx =>
        {
            using var command = Command($"SELECT {TrialColumns} FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.study_id = @s ORDER BY t.seq", tx);
            command.Parameters.AddWithValue("@s", StudyKey(studyId));
            var step = rules.Decide(ReadTrials(command), ReadDecisions(studyId, tx), StoredValues.UnixMilliseconds(NowMs));
            if (step.IsEmpty)
            {
                return step;
            }
            InsertTrials(tx, studyId, step.NewTrials);
            using var insert = Command(
                "INSERT INTO point_decisions (study_id, point, params, state, round, replicates, p_value, reason, decided) " +
                "VALUES (@s, @point, @params, @state, @round, @reps, @p, @reason, @decided) ON CONFLICT DO NOTHING", tx);
            insert.Parameters.AddWithValue("@s", StudyKey(studyId));
            string[] names = ["@point", "@params", "@state", "@round", "@reps", "@p", "@reason", "@decided"];
            var values = names.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
            foreach (var d in step.Decisions)
            {
                object?[] row = [d.Point, d.ParamsJson, d.StateName, d.Round, d.Replicates, d.PValue is { } p && double.IsFinite(p) ? p : null, d.Reason, d.Decided.ToUnixTimeMilliseconds()];
                for (var i = 0; i < row.Length; i++)
                {
                    values[i].SqliteType = row[i] switch { int or long => SqliteType.Integer, double => SqliteType.Real, _ => SqliteType.Text };
                    values[i].Value = row[i] ?? DBNull.Value;
                }
                insert.ExecuteNonQuery();
            }
            return step;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PointDecision>> GetPointDecisionsAsync(string studyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(studyId);
        return RunAsync<IReadOnlyList<PointDecision>>(write: false, tx => ReadDecisions(studyId, tx), cancellationToken);
    }

    private List<PointDecision> ReadDecisions(string studyId, SqliteTransaction? tx)
    {
        using var command = Command("SELECT point, params, state, round, replicates, p_value, reason, decided FROM point_decisions WHERE study_id = @s ORDER BY decided, point", tx);
        command.Parameters.AddWithValue("@s", StudyKey(studyId));
        using var r = command.ExecuteReader();
        var decisions = new List<PointDecision>();
        while (r.Read())
        {
            // A state this version does not know (a newer Expt wrote it) still marks the point as decided.
            var state = PointDecision.Parse(r.GetString(2)) ?? PointState.Survivor;
            decisions.Add(new PointDecision(r.GetString(0), r.GetString(1), state, r.GetInt32(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetDouble(5), r.GetString(6), StoredValues.UnixMilliseconds(r.GetInt64(7))));
        }
        return decisions;
    }
}
