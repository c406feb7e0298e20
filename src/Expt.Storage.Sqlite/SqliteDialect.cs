using System.Data.Common;

namespace Expt.Storage.Sqlite;

/// <summary>How SQLite keeps what dialects disagree on: times as Unix milliseconds, tags as a JSON array.</summary>
internal sealed class SqliteDialect : TrialRows.IDialect
{
    public static SqliteDialect Instance { get; } = new();

    public DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoredValues.UnixMilliseconds(reader.GetInt64(ordinal));

    public IReadOnlyList<string> Tags(DbDataReader reader, int ordinal) => StoredValues.Tags(TrialRows.Text(reader, ordinal));
}
