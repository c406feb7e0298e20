namespace Expt.Storage;

/// <summary>A database server's client connections.</summary>
/// <param name="InUse">Client connections open now, from every application.</param>
/// <param name="ByExpt">Of those, Expt's (its processes name themselves <c>expt</c>).</param>
/// <param name="Limit">The most the server accepts (<c>max_connections</c>, its reserved slots included).</param>
public sealed record ServerConnections(int InUse, int ByExpt, int Limit);
