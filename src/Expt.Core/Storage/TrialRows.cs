using System.Data.Common;
using System.Globalization;

namespace Expt.Storage;

/// <summary>
/// The one mapping from a relational row of a trial to a <see cref="TrialRecord"/>, for every SQL store. A store selects
/// the columns in the order below and says only what is its own dialect: how it keeps times and tags.
/// </summary>
/// <remarks>
/// Columns: id, study id, study name, key, seq, replicate, params, seed, status, attempts, max_attempts, created,
/// started, finished, duration_ms, host, pid, lease_owner, lease_until, results, error, exit_code, provenance,
/// heartbeat, interruptions, history, name, tags, note, run, rank, cpus, memory, gpu_milli, memory_limit, usage.
/// </remarks>
public static class TrialRows
{
    private static readonly string[] ColumnList =
    [
        "t.id", "t.study_id", "s.name", "t.key", "t.seq", "t.replicate", "t.params", "t.seed", "t.status", "t.attempts", "t.max_attempts",
        "t.created", "t.started", "t.finished", "t.duration_ms", "t.host", "t.pid", "t.lease_owner", "t.lease_until", "t.results", "t.error",
        "t.exit_code", "t.provenance", "t.heartbeat", "t.interruptions", "t.history", "t.name", "t.tags", "t.note", "t.run", "t.rank",
        "t.cpus", "t.memory", "t.gpu_milli", "t.memory_limit", "t.usage",
    ];

    // The large text columns, which a listing may cut short.
    private static readonly HashSet<string> LargeColumns = ["t.results", "t.error", "t.provenance", "t.history", "t.note"];

    /// <summary>The select list of a trial (tables aliased <c>t</c> for trials, <c>s</c> for studies).</summary>
    public static readonly string Columns = string.Join(", ", ColumnList);

    /// <summary>
    /// The select list with the large text columns cut to <paramref name="preview"/> characters when given;
    /// <paramref name="cut"/> writes the dialect's substring call for a column and a length.
    /// </summary>
    public static string Select(int? preview, Func<string, int, string> cut)
    {
        ArgumentNullException.ThrowIfNull(cut);
        return preview is not { } n ? Columns : string.Join(", ", ColumnList.Select(c => LargeColumns.Contains(c) ? cut(c, n) : c));
    }

    /// <summary>The SET clause that frees a trial's lease, in every store.</summary>
    public const string ClearLease = "lease_owner = NULL, lease_token = NULL, lease_until = NULL, heartbeat = NULL";

    /// <summary>The error stored with a trial cancelled from outside (expt cancel, the dashboard).</summary>
    public const string CancelledError = "cancelled by the user";

    /// <summary>The reason stored with a pending trial withdrawn because the study's file no longer plans it.</summary>
    public const string WithdrawnError = "withdrawn: no longer in the study's file";

    /// <summary>How a store keeps what SQL dialects disagree on.</summary>
    public interface IDialect
    {
        /// <summary>A time column, or null when it is NULL.</summary>
        DateTimeOffset? Time(DbDataReader reader, int ordinal);

        /// <summary>The tags column (a JSON array in SQLite, a text[] in PostgreSQL).</summary>
        IReadOnlyList<string> Tags(DbDataReader reader, int ordinal);
    }

    /// <summary>The trial in the reader's current row.</summary>
    public static TrialRecord Read(DbDataReader r, IDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(dialect);
        return new TrialRecord
        {
            Id = r.GetString(0),
            StudyId = r.GetInt64(1).ToString(CultureInfo.InvariantCulture),
            StudyName = r.GetString(2),
            Key = r.GetString(3),
            Seq = r.GetInt64(4),
            Replicate = r.GetInt32(5),
            ParamsJson = r.GetString(6),
            Seed = r.GetInt64(7),
            Status = StoredValues.Status(r.GetString(8)),
            Attempts = r.GetInt32(9),
            MaxAttempts = r.GetInt32(10),
            Created = dialect.Time(r, 11) ?? DateTimeOffset.UnixEpoch,
            Started = dialect.Time(r, 12),
            Finished = dialect.Time(r, 13),
            Duration = r.IsDBNull(14) ? null : StoredValues.Milliseconds(r.GetDouble(14)),
            Host = Text(r, 15),
            Pid = Int(r, 16),
            LeaseOwner = Text(r, 17),
            LeaseUntil = dialect.Time(r, 18),
            ResultsJson = Text(r, 19),
            Error = Text(r, 20),
            ExitCode = Int(r, 21),
            ProvenanceJson = Text(r, 22),
            Heartbeat = dialect.Time(r, 23),
            Interruptions = r.GetInt32(24),
            History = Text(r, 25),
            Name = Text(r, 26),
            Tags = dialect.Tags(r, 27),
            Note = Text(r, 28),
            RunId = Text(r, 29),
            Rank = Int(r, 30),
            Needs = new Resources.TrialNeeds(r.GetInt32(31), r.GetInt64(32), r.GetInt32(33), r.IsDBNull(34) ? null : r.GetInt64(34)),
            UsageJson = Text(r, 35),
        };
    }

    /// <summary>A text column, or null.</summary>
    public static string? Text(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    private static int? Int(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
