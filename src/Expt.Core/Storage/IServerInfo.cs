namespace Expt.Storage;

/// <summary>What a store on a database server can say about the server (a file store has no server to speak of).</summary>
public interface IServerInfo
{
    /// <summary>The server's client connections now, and its limit.</summary>
    Task<ServerConnections> GetConnectionsAsync(CancellationToken cancellationToken = default);
}
