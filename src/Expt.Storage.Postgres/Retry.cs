using System.Net.Sockets;
using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>Retries what failed for a transient reason (as Npgsql reports it, or a restart, deadlock or conflict).</summary>
internal static class Retry
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> operation, TimeSpan window, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (time.GetElapsedTime(started) + delay > window)
                {
                    throw new StoreUnavailableException($"the database is unreachable ({Describe(ex)}); retried for {window.TotalSeconds:0} s", ex);
                }
                // Jitter keeps many workers that lost the server together from reconnecting in lockstep.
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1)), time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    public static bool IsTransient(Exception ex) => ex switch
    {
        // Deadlocks and serialization conflicts succeed when run again; 57P01-57P03: the server is shutting down,
        // crashed, or still starting; class 08: the connection failed.
        // 53300/53400: too many connections (the server's, or the role's): a slot frees as other clients leave.
        PostgresException pg => pg.IsTransient || pg.SqlState is "40001" or "40P01" or "57P01" or "57P02" or "57P03" or "53300" or "53400" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    private static string Describe(Exception ex) => ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message;
}
