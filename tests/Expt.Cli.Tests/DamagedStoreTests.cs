using System.Security.Cryptography;

namespace Expt.Cli.Tests;

/// <summary>
/// A damaged SQLite store is found (SQLite's <c>quick_check</c> as it is opened, and its errors), said in one line with
/// what to do, never written to, and marked so no later process writes to it either; <c>expt doctor</c> checks it in
/// full and, once it is healthy again, lifts the mark.
/// </summary>
public sealed class DamagedStoreTests : IDisposable
{
    private const int PageSize = 4096;
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string StorePath => Path.Combine(_cli.Directory, ".expt", "expt.db");

    private async Task<byte[]> StoreWithStudiesAsync()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            var run = await _cli.RunAsync("run", "--name", name, "--set", "x=range(60)", "-q", "--", "sh", "-c", "echo '{\"v\": 1}' > \"$EXPT_RESULTS\"");
            run.Exit.ShouldBe(0, run.Error);
        }
        return File.ReadAllBytes(StorePath);
    }

    private void Restore(byte[] original)
    {
        File.WriteAllBytes(StorePath, original);
        File.Delete(StorePath + "-wal");
        File.Delete(StorePath + "-shm");
    }

    [Fact]
    public async Task Six_overwritten_bytes_in_any_page_are_found_before_anything_reads_or_writes()
    {
        var original = await StoreWithStudiesAsync();
        var pages = original.Length / PageSize;
        pages.ShouldBeGreaterThan(4);
        var studies = await _cli.RunAsync("studies");
        for (var page = 1; page < pages; page++)
        {
            Restore(original);
            var damaged = (byte[])original.Clone();
            new byte[] { 0xff, 0x13, 0x37, 0x00, 0x42, 0x99 }.CopyTo(damaged, page * PageSize);
            File.WriteAllBytes(StorePath, damaged);
            var before = Convert.ToHexString(SHA256.HashData(damaged));
            foreach (var args in new[] { new[] { "studies" }, ["ls", "--study", "a"], ["run", "--name", "d", "--set", "x=1", "--", "true"] })
            {
                var result = await _cli.RunAsync(args);
                var what = $"page {page}: {string.Join(' ', args)}";
                if (result.Exit == 0)
                {
                    // A page no table uses (free, or past the data): nothing read it, nothing is wrong to say.
                    args[0].ShouldNotBe("run", what);
                    if (args[0] == "studies")
                    {
                        result.Out.ShouldBe(studies.Out, what);
                    }
                    continue;
                }
                result.Exit.ShouldBe(4, $"{what}: {result.Error}");
                result.Error.ShouldStartWith($"error: the store {StorePath} is damaged (", customMessage: what);
                result.Error.ShouldContain("nothing more is written to it", customMessage: what);
                result.Error.ShouldContain(".recover", customMessage: what);
                result.Error.Trim().Split('\n').Length.ShouldBe(1, what);
            }
            // Nothing was written into the damaged file by any of them.
            Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(StorePath))).ShouldBe(before, $"page {page}");
            File.Delete(SqliteMark);
        }
    }

    private string SqliteMark => StorePath + ".damaged";

    [Fact]
    public async Task A_store_found_damaged_stays_refused_until_doctor_finds_it_healthy()
    {
        var original = await StoreWithStudiesAsync();
        var damaged = (byte[])original.Clone();
        new byte[] { 0xff, 0x13, 0x37, 0x00, 0x42, 0x99 }.CopyTo(damaged, PageSize);
        File.WriteAllBytes(StorePath, damaged);

        (await _cli.RunAsync("studies")).Exit.ShouldBe(4);
        File.Exists(SqliteMark).ShouldBeTrue();
        var doctor = await _cli.RunAsync("doctor");
        doctor.Exit.ShouldBe(4, doctor.Error);
        doctor.Out.ShouldContain("PROBLEM");
        doctor.Error.ShouldContain(".recover");

        // Mended (as a recovery would): still refused while marked, until doctor checks it in full.
        Restore(original);
        var refused = await _cli.RunAsync("studies");
        refused.Exit.ShouldBe(4);
        refused.Error.ShouldContain("is damaged");
        var healthy = await _cli.RunAsync("doctor", "--format", "json");
        healthy.Exit.ShouldBe(0, healthy.Out + healthy.Error);
        healthy.Out.ShouldContain("\"healthy\": true");
        healthy.Out.ShouldContain("removed: the store was marked damaged");
        File.Exists(SqliteMark).ShouldBeFalse();
        (await _cli.RunAsync("studies")).Exit.ShouldBe(0);
    }

    [Fact]
    public async Task Doctor_reports_a_healthy_store_and_its_damaged_values()
    {
        await StoreWithStudiesAsync();
        var doctor = await _cli.RunAsync("doctor");
        doctor.Exit.ShouldBe(0, doctor.Error);
        doctor.Out.ShouldContain("integrity_check");
        doctor.Out.ShouldContain("180 trials, every value readable");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE trials SET results = '{broken' WHERE seq = 3";
            command.ExecuteNonQuery();
        }
        var again = await _cli.RunAsync("doctor", "--format", "json");
        again.Exit.ShouldBe(0);
        again.Out.ShouldContain("hold damaged values (shown as far as they can be read)");
        again.Out.ShouldContain("(results)");
    }
}
