using System.Data.Common;

namespace Expt.Storage.Postgres;

/// <summary>How PostgreSQL keeps what dialects disagree on: times as timestamptz, tags as text[].</summary>
internal sealed class PostgresDialect : TrialRows.IDialect
{
    public static PostgresDialect Instance { get; } = new();

    public DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public IReadOnlyList<string> Tags(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : reader.GetFieldValue<string[]>(ordinal).Take(StoredValues.MaxTags).ToList();
}
