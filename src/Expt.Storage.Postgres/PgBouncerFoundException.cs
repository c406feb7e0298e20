namespace Expt.Storage.Postgres;

/// <summary>Opening found a pooler in transaction mode where a server was expected: open again as for PgBouncer.</summary>
internal sealed class PgBouncerFoundException(Exception? inner) : Exception("a connection pooler in transaction mode stands in front of the server", inner);
