using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Expt.Cli.Tests;

/// <summary>
/// What <c>--store</c> may name: another program's SQLite file is refused in one line and left byte for byte as it
/// was; a store written by a newer Expt is refused in one line (no stack trace), before anything is written.
/// </summary>
public sealed class StoreGuardTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("run", "--set", "x=1", "--", "true")]
    [InlineData("studies")]
    [InlineData("ls")]
    public async Task Another_programs_sqlite_file_is_refused_and_left_as_it_was(params string[] args)
    {
        var path = Path.Combine(_cli.Directory, "app.sqlite");
        Sql(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'a')");
        var before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        var result = await _cli.RunAsync([.. args[..1], "--store", "app.sqlite", .. args[1..]]);
        result.Exit.ShouldBe(2, result.Error);
        result.Error.Trim().ShouldBe($"error: {path} is a SQLite database of another program (tables: users), not an Expt store; Expt adds nothing to it: give --store a file of its own");
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ShouldBe(before);
        File.Exists(path + "-wal").ShouldBeFalse();
    }

    [Fact]
    public async Task A_store_from_a_newer_expt_is_one_line_and_exit_4()
    {
        (await _cli.RunAsync("run", "--name", "s", "--set", "x=1", "--", "true")).Exit.ShouldBe(0);
        Sql(Path.Combine(_cli.Directory, ".expt", "expt.db"), "INSERT INTO schema_migrations (version, applied) VALUES (999, 0)");
        foreach (var args in new[] { new[] { "studies" }, ["run", "--name", "t", "--set", "x=1", "--", "true"], ["serve", "--port", "0"] })
        {
            var result = await _cli.RunAsync(args);
            result.Exit.ShouldBe(4, string.Join(' ', args));
            result.Error.Trim().ShouldStartWith("error: the store's schema (version 999) is newer than this Expt understands");
            result.Error.Trim().Split('\n').Length.ShouldBe(1, result.Error);
        }
    }
}
