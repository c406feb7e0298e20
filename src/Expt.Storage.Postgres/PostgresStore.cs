using System.Collections.Concurrent;
using Expt.Trials;
using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>
/// The shared store: one PostgreSQL database that workers on many machines use at once. Claims lock rows with
/// <c>FOR UPDATE SKIP LOCKED</c>, so concurrent workers never wait for each other or take the same trial; every
/// batch is one round trip; transient faults (a restart, a dropped connection) are retried with backoff.
/// </summary>
/// <remarks>
/// Connections are what a shared server runs out of first (PostgreSQL allows 100 by default, for every worker of every
/// user), so a store holds few: its operations (claims, heartbeats, completions, metric batches, queries) take turns on
/// <see cref="Operations"/> connections (1 unless asked), and the listener that wakes idle workers holds one more. A
/// worker process therefore holds at most two connections whatever its <c>-j</c>: 1,000 workers, 2,000.
/// </remarks>
public sealed partial class PostgresStore : IExptStore, IServerInfo
{
    private const string WorkChannel = "expt_work";
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly TimeSpan _clockOffset;
    private readonly ConcurrentDictionary<string, string> _studyNames = new(StringComparer.Ordinal);
    private readonly Lock _listenerGate = new();
    private readonly CancellationTokenSource _disposed = new();
    private TaskCompletionSource _work = NewSignal();
    private Task? _listener;
    private readonly SemaphoreSlim _operations;

    // Behind PgBouncer in transaction mode: the schema every transaction sets for itself (null: the connection's own).
    private readonly string? _localSchema;

    private PostgresStore(NpgsqlDataSource dataSource, int operations, string? localSchema, string description, string runsDirectory, TimeProvider time, TimeSpan clockOffset)
    {
        _dataSource = dataSource;
        _operations = new SemaphoreSlim(operations, operations);
        _localSchema = localSchema;
        Operations = operations;
        Description = description;
        RunsDirectory = runsDirectory;
        _time = time;
        _clockOffset = clockOffset;
    }

    /// <inheritdoc />
    public string RunsDirectory { get; }

    /// <summary>Operations at once, each on a connection of its own (the listener holds one more).</summary>
    public int Operations { get; }

    /// <summary>Whether the store talks to its server through PgBouncer in transaction mode (said, or found at opening).</summary>
    public bool PgBouncer { get; private init; }

    /// <summary>The operations at once of a store opened without saying: one.</summary>
    public const int DefaultOperations = 1;

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>
    /// How long one operation keeps retrying transient faults before it gives up with
    /// <see cref="StoreUnavailableException"/>.
    /// </summary>
    public TimeSpan RetryWindow { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Connects, brings the schema up to date, and measures the server's clock.</summary>
    /// <param name="connection">The connection settings (see <see cref="PostgresLocation.Parse"/>).</param>
    /// <param name="runsDirectory">Where trial directories go on this machine (a shared one, or a local one whose small files are copied into the store).</param>
    /// <param name="time">The clock; the system clock is corrected by its offset to the server's, an injected one is used as it is.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static Task<PostgresStore> OpenAsync(NpgsqlConnectionStringBuilder connection, string runsDirectory, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(connection, runsDirectory, DefaultOperations, time, cancellationToken);

    /// <summary>Connects with up to <paramref name="operations"/> operations at once (a dashboard serving many pages wants a few).</summary>
    /// <param name="connection">The connection settings; an explicit <c>Maximum Pool Size</c> is the cap, listener included.</param>
    /// <param name="runsDirectory">Where trial directories go on this machine.</param>
    /// <param name="operations">Operations at once, each holding a connection while it runs.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static Task<PostgresStore> OpenAsync(NpgsqlConnectionStringBuilder connection, string runsDirectory, int operations, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(connection, runsDirectory, new PostgresStoreOptions { Operations = operations }, time, cancellationToken);

    /// <summary>Connects as <paramref name="options"/> say.</summary>
    /// <param name="connection">The connection settings; an explicit <c>Maximum Pool Size</c> is the cap, listener included.</param>
    /// <param name="runsDirectory">Where trial directories go on this machine.</param>
    /// <param name="options">Operations at once; whether PgBouncer stands in front of the server.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<PostgresStore> OpenAsync(NpgsqlConnectionStringBuilder connection, string runsDirectory, PostgresStoreOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(runsDirectory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Operations, 1);
        time ??= TimeProvider.System;
        try
        {
            return await ConnectAsync(connection, runsDirectory, options, time, cancellationToken).ConfigureAwait(false);
        }
        catch (PgBouncerFoundException)
        {
            // The pooler gave itself away (it refused or dropped the schema given at connection): talk to it as to PgBouncer.
            return await ConnectAsync(connection, runsDirectory, options with { PgBouncer = true }, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<PostgresStore> ConnectAsync(NpgsqlConnectionStringBuilder connection, string runsDirectory, PostgresStoreOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var operations = options.Operations;
        // A cap the user wrote in the connection string wins (100 is Npgsql's default, not a choice).
        if (connection.MaxPoolSize != 100)
        {
            operations = Math.Max(1, connection.MaxPoolSize - 1);
        }
        var builder = new NpgsqlConnectionStringBuilder(connection.ConnectionString)
        {
            // Behind PgBouncer the listener is not started: the operations are all the connections there are.
            MaxPoolSize = options.PgBouncer ? operations : operations + 1,
            ApplicationName = string.IsNullOrEmpty(connection.ApplicationName) ? "expt" : connection.ApplicationName,
            // A dead server or network should surface in seconds, not minutes, so the worker can react.
            Timeout = connection.Timeout == 15 ? 5 : connection.Timeout,
            KeepAlive = connection.KeepAlive == 0 ? 10 : connection.KeepAlive,
        };
        var localSchema = (string?)null;
        if (options.PgBouncer)
        {
            // Transaction mode: a setting given at connection reaches whichever server connection it likes (PgBouncer
            // refuses search_path outright), a reset on return is wasted, and statements prepared on one server
            // connection are not there on the next.
            localSchema = string.IsNullOrEmpty(builder.SearchPath) ? null : builder.SearchPath;
            builder.SearchPath = null;
            builder.NoResetOnClose = true;
            builder.MaxAutoPrepare = 0;
        }
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        try
        {
            var offset = await Retry.RunAsync(async () =>
            {
                NpgsqlConnection conn;
                try
                {
                    conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (!options.PgBouncer && ex.SqlState == "08P01" && ex.MessageText.Contains("unsupported startup parameter", StringComparison.Ordinal))
                {
                    throw new PgBouncerFoundException(ex);
                }
                using (conn)
                {
                    if (!options.PgBouncer && !string.IsNullOrEmpty(builder.SearchPath) && !await SchemaArrivedAsync(conn, builder.SearchPath, cancellationToken).ConfigureAwait(false))
                    {
                        throw new PgBouncerFoundException(null);
                    }
                    await PostgresMigrator.MigrateAsync(conn, localSchema, cancellationToken).ConfigureAwait(false);
                    if (time != TimeProvider.System)
                    {
                        return TimeSpan.Zero; // A clock the caller controls (tests) is taken as it is.
                    }
                    using var command = new NpgsqlCommand("SELECT clock_timestamp()", conn);
                    var before = time.GetUtcNow();
                    var server = (DateTime)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                    var after = time.GetUtcNow();
                    // Leases are compared across machines: measure this machine's skew against the server once, and
                    // correct every time this process writes, so clocks that disagree by seconds do not matter.
                    return new DateTimeOffset(server, TimeSpan.Zero) - (before + ((after - before) / 2));
                }
            }, TimeSpan.FromSeconds(10), time, cancellationToken).ConfigureAwait(false);
            return new PostgresStore(dataSource, operations, localSchema, PostgresLocation.Describe(connection, options.PgBouncer), Path.GetFullPath(runsDirectory), time, offset)
            {
                PgBouncer = options.PgBouncer,
            };
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // A pooler told to ignore search_path at connection (ignore_startup_parameters) passes the connection on without
    // it, and the store would silently be another schema: the setting must be what was asked.
    private static async Task<bool> SchemaArrivedAsync(NpgsqlConnection connection, string searchPath, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT current_setting('search_path')", connection);
        var actual = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        static string Normal(string path) => string.Join(',', path.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim('"').ToLowerInvariant()));
        return Normal(actual) == Normal(searchPath);
    }

    /// <summary>This process's clock, corrected to the server's.</summary>
    internal DateTimeOffset Now => _time.GetUtcNow() + _clockOffset;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs <paramref name="body"/> on a pooled connection, in a transaction, retrying transient faults.</summary>
    private Task<T> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken) =>
        Retry.RunAsync(async () =>
        {
            // Operations take turns on the store's few connections (waiting here, not in Npgsql's pool, which would
            // give up after the connect timeout); the turn is given back while a retry waits.
            await _operations.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (_localSchema is not null)
                {
                    await PostgresMigrator.SetLocalSchemaAsync(connection, transaction, _localSchema, cancellationToken).ConfigureAwait(false);
                }
                var result = await body(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            finally
            {
                _operations.Release();
            }
        }, RetryWindow, _time, cancellationToken);

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction) => new(sql, connection, transaction);

    private static long StudyKey(string studyId) =>
        long.TryParse(studyId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;

    private static string StudyIdText(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string[] StatusNames(IReadOnlyList<TrialStatus> statuses) => statuses.Select(s => s.ToName()).ToArray();

    /// <inheritdoc />
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Task signal;
        lock (_listenerGate)
        {
            // Behind PgBouncer in transaction mode a LISTEN would stay on whichever server connection ran it: waiting
            // is polling (the worker's idle back-off spaces the polls).
            _listener ??= PgBouncer ? Task.CompletedTask : Task.Run(ListenAsync, CancellationToken.None);
            signal = PgBouncer ? new TaskCompletionSource().Task : _work.Task;
        }
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, _time, timeoutSource.Token);
        await Task.WhenAny(signal, delay).ConfigureAwait(false);
        await timeoutSource.CancelAsync().ConfigureAwait(false);
        try
        {
            await delay.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Signal()
    {
        lock (_listenerGate)
        {
            _work.TrySetResult();
            _work = NewSignal();
        }
    }

    // One connection per process LISTENs; a notification wakes every waiting worker loop. When the connection
    // breaks, waiters fall back to polling until it is back.
    private async Task ListenAsync()
    {
        var token = _disposed.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                string schema;
                using (var listen = new NpgsqlCommand("LISTEN " + WorkChannel + "; SELECT current_schema()", connection))
                {
                    schema = (string?)await listen.ExecuteScalarAsync(token).ConfigureAwait(false) ?? string.Empty;
                }
                // The channel is database-wide: only this store's schema (stores may share a database) wakes it.
                var prefix = schema + ":";
                connection.Notification += (_, e) =>
                {
                    if (e.Payload.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        Signal();
                    }
                };
                while (!token.IsCancellationRequested)
                {
                    await connection.WaitAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                Signal();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string studyId, CancellationToken cancellationToken)
    {
        // Delivered at commit, to every listening worker; the payload names the schema (the store) and the study.
        using var notify = Command("SELECT pg_notify('" + WorkChannel + "', current_schema() || ':' || @s)", connection, transaction);
        notify.Parameters.AddWithValue("s", studyId);
        await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<ServerConnections> GetConnectionsAsync(CancellationToken cancellationToken = default) =>
        RunAsync(async (connection, tx) =>
        {
            using var command = Command(
                "SELECT count(*)::int, (count(*) FILTER (WHERE application_name LIKE 'expt%'))::int, current_setting('max_connections')::int " +
                "FROM pg_stat_activity WHERE backend_type = 'client backend'", connection, tx);
            using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new ServerConnections(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), PgBouncer);
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        if (_listener is { } listener)
        {
            await listener.ConfigureAwait(false);
        }
        _disposed.Dispose();
        _operations.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
