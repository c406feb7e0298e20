namespace Expt.Storage.Postgres;

/// <summary>How a <see cref="PostgresStore"/> uses its server.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>Operations at once, each on a connection of its own while it runs (a worker wants one, a dashboard a few).</summary>
    public int Operations { get; init; } = PostgresStore.DefaultOperations;

    /// <summary>
    /// PgBouncer in transaction mode stands in front of the server: each transaction may run on a different server
    /// connection, so the schema is set inside every transaction (<c>SET LOCAL</c>, not at connection), nothing LISTENs
    /// (idle workers poll instead) and connections are not reset on return. Also taken when the pooler gives itself
    /// away at connection (it refuses or drops a <c>search_path</c>).
    /// </summary>
    public bool PgBouncer { get; init; }
}
