using System.Collections.Concurrent;
using Expt.Trials;
using Microsoft.Data.Sqlite;

namespace Expt.Storage.Sqlite;

/// <summary>
/// The default store: one SQLite file in WAL mode. Several processes on one machine may share it; every write
/// runs in a <c>BEGIN IMMEDIATE</c> transaction (one writer at a time), and claims and completions are batched.
/// A damaged file is found by SQLite's own checks (<c>quick_check</c> as it is opened, when cheap; a malformed page met
/// by any statement): it is then marked damaged (a file beside it), and no Expt process writes to it again until
/// <c>expt doctor</c> finds it healthy.
/// </summary>
public sealed partial class SqliteStore : IExptStore, IIntegrityCheck, ILocalStoreFile
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _studyNames = new(StringComparer.Ordinal);
    private volatile string? _damaged;

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
    public static Task<SqliteStore> OpenAsync(string path, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        OpenAsync(path, new SqliteStoreOptions(), time, cancellationToken);

    /// <summary>Opens (creating if needed) a store file and brings its schema up to date.</summary>
    /// <exception cref="StoreDamagedException">The file is damaged, or was found damaged before; nothing was written.</exception>
    /// <exception cref="StoreIncompatibleException">Another program's database, or a newer Expt's store; nothing was written.</exception>
    public static async Task<SqliteStore> OpenAsync(string path, SqliteStoreOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        var full = System.IO.Path.GetFullPath(path);
        if (options.Integrity != SqliteIntegrity.Never && ReadMark(full) is { } mark)
        {
            throw Damaged(full, mark);
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var builder = new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 120 };
        var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (options.Integrity == SqliteIntegrity.Always || (options.Integrity == SqliteIntegrity.WhenSmall && new FileInfo(full) is { Exists: true } file && file.Length <= options.CheckLimitBytes))
            {
                Execute(connection, "PRAGMA busy_timeout = 60000;");
                if (QuickCheck(connection, 3) is { Count: > 0 } problems)
                {
                    var reason = "quick_check: " + string.Join("; ", problems);
                    WriteMark(full, reason);
                    throw Damaged(full, reason);
                }
            }
            // busy_timeout makes concurrent writers queue instead of failing; WAL (a change to the file) lets readers run
            // beside the writer, set only once the file is known to be Expt's.
            Execute(connection, "PRAGMA busy_timeout = 60000;");
            SqliteMigrator.RefuseForeign(connection);
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            SqliteMigrator.Migrate(connection);
        }
        catch (SqliteException ex) when (IsDamage(ex) && HasHeader(full))
        {
            // A SQLite file gone bad (a file that was never one, such as a YAML file given as --store, is not damaged:
            // its own error says it is not a database).
            await connection.DisposeAsync().ConfigureAwait(false);
            WriteMark(full, ex.Message);
            throw Damaged(full, ex.Message);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SqliteStore(connection, full, time ?? TimeProvider.System);
    }

    /// <summary>The file beside a store that says it was found damaged, and why.</summary>
    public static string MarkPath(string path) => path + ".damaged";

    /// <inheritdoc />
    public string? DamageMark => ReadMark(Path);

    /// <inheritdoc />
    public void ClearDamageMark()
    {
        _damaged = null;
        File.Delete(MarkPath(Path));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> CheckIntegrityAsync(int max, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<string>>(write: false, _ =>
        {
            // The full check: every page, and every index against its table (quick_check skips the latter).
            using var command = Command($"PRAGMA integrity_check({Math.Max(1, max).ToString(System.Globalization.CultureInfo.InvariantCulture)})");
            return Problems(command);
        }, cancellationToken);

    private static List<string> QuickCheck(SqliteConnection connection, int max)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA quick_check({max.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
        return Problems(command);
    }

    private static List<string> Problems(SqliteCommand command)
    {
        var problems = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var line = reader.IsDBNull(0) ? string.Empty : reader.GetValue(0)?.ToString() ?? string.Empty;
            if (line != "ok")
            {
                problems.Add(line.Length > 300 ? line[..300] + "..." : line);
            }
        }
        return problems;
    }

    // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), whatever the extended code: the file itself is wrong.
    private static bool IsDamage(SqliteException ex) => (ex.SqliteErrorCode & 0xff) is 11 or 26;

    private static bool HasHeader(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var header = new byte[16];
            return file.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.AsSpan().SequenceEqual("SQLite format 3\0"u8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? ReadMark(string path)
    {
        try
        {
            var mark = MarkPath(path);
            return File.Exists(mark) ? Execution.TrialFiles.ReadText(mark, 4096, out _)?.Trim() ?? "damaged" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteMark(string path, string reason)
    {
        try
        {
            File.WriteAllText(MarkPath(path), $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC: {reason}\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: this process refuses to write in any case.
        }
    }

    private static StoreDamagedException Damaged(string path, string reason)
    {
        var recovered = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "recovered.db");
        return new StoreDamagedException(
            $"the store {path} is damaged ({reason.Replace("SQLite Error ", string.Empty, StringComparison.Ordinal).TrimEnd('.')}); nothing more is written to it. " +
            $"Keep a copy, recover what is readable with: sqlite3 {path} .recover | sqlite3 {recovered} (Debian: apt-get install sqlite3), " +
            $"check it with: expt doctor --store {recovered}, and run from it; expt doctor tells whether the store is damaged")
        { Store = path };
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

    /// <summary>
    /// Runs <paramref name="body"/> under the gate, in a write transaction when <paramref name="write"/>. A malformed
    /// page met on the way marks the store damaged: this process then writes nothing more, nor does any other that
    /// opens it after.
    /// </summary>
    private async Task<T> RunAsync<T>(bool write, Func<SqliteTransaction?, T> body, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!write)
            {
                return body(null);
            }
            if (_damaged is { } reason)
            {
                throw Damaged(Path, reason);
            }
            // BeginTransaction() issues BEGIN IMMEDIATE: the write lock is taken up front, so two processes
            // never both read "pending" and then both claim the same rows.
            using var transaction = _connection.BeginTransaction();
            var result = body(transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException ex) when (IsDamage(ex))
        {
            _damaged = ex.Message;
            WriteMark(Path, ex.Message);
            throw Damaged(Path, ex.Message);
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
