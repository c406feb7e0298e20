using System.Collections.Concurrent;
using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

/// <summary>
/// The default store: one SQLite file in WAL mode. Several processes on one machine may share it; every write
/// runs in a <c>BEGIN IMMEDIATE</c> transaction (one writer at a time), and claims and completions are batched.
/// </summary>
public sealed partial class SqliteStore : IExptStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _studyNames = new(StringComparer.Ordinal);

    private SqliteStore(SqliteConnection connection, string path, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        Path = path;
        RunsDirectory = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "runs");
    }

    public string Path { get; }

    /// <inheritdoc />
    public string RunsDirectory { get; }

    /// <inheritdoc />
    public string Description => Path;

    /// <summary>Opens (creating if needed) a store file and brings its schema up to date.</summary>
    public static async Task<SqliteStore> OpenAsync(string path, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var builder = new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 120 };
        var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // busy_timeout makes concurrent writers queue instead of failing; WAL (a change to the file) lets readers run
            // beside the writer, set only once the file is known to be Expt's.
            Execute(connection, "PRAGMA busy_timeout = 60000;");
            SqliteMigrator.RefuseForeign(connection);
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            SqliteMigrator.Migrate(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SqliteStore(connection, full, time ?? TimeProvider.System);
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Runs <paramref name="body"/> under the gate, in a write transaction when <paramref name="write"/>.</summary>
    private async Task<T> RunAsync<T>(bool write, Func<SqliteTransaction?, T> body, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!write)
            {
                return body(null);
            }
            // BeginTransaction() issues BEGIN IMMEDIATE: the write lock is taken up front, so two processes
            // never both read "pending" and then both claim the same rows.
            using var transaction = _connection.BeginTransaction();
            var result = body(transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static DateTimeOffset? Time(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoredValues.UnixMilliseconds(reader.GetInt64(ordinal));

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string InList(SqliteCommand command, string prefix, IReadOnlyList<string> values)
    {
        var names = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var name = $"@{prefix}{i}";
            command.Parameters.AddWithValue(name, values[i]);
            names.Add(name);
        }
        return "(" + string.Join(',', names) + ")";
    }

    // Study ids are integers in SQLite; the interface carries them as strings. A malformed one matches nothing.
    private static long StudyKey(string studyId) =>
        long.TryParse(studyId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;

    private static IReadOnlyList<string> StatusNames(IReadOnlyList<TrialStatus> statuses) => statuses.Select(s => s.ToName()).ToList();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }
}
