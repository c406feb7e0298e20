namespace Expt.Storage;

/// <summary>A database server's client connections.</summary>
/// <param name="InUse">Client connections open now, from every application.</param>
/// <param name="ByExpt">Of those, Expt's (its processes name themselves <c>expt</c>).</param>
/// <param name="Limit">The most the server accepts (<c>max_connections</c>, its reserved slots included).</param>
/// <param name="PgBouncer">Whether this process reaches the server through PgBouncer in transaction mode (then the counts are PgBouncer's server connections, not its clients).</param>
public sealed record ServerConnections(int InUse, int ByExpt, int Limit, bool PgBouncer = false);
