using Expt.Storage.Sqlite;

namespace Expt.Storage.Tests;

/// <summary>What only the SQLite store does: finding a damaged file, and refusing to write into one.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-sqlite-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private async Task<string> StoreWithTrialsAsync()
    {
        var path = PathOf("expt.db");
        await using var store = await SqliteStore.OpenAsync(path);
        var (study, _) = await store.CreateStudyAsync(new StudyDefinition("s", null, [], "{}", "fp", 1, null));
        await store.EnqueueAsync(study.Id, Enumerable.Range(0, 3000).Select(i => new NewTrial($"k{i}", i, 0, $$"""{"i":{{i}},"pad":"{{new string('x', 200)}}"}""", i, 1)).ToList());
        return path;
    }

    // The headers of the last pages damaged (the trials, written last, and their indexes), the schema left whole: the
    // store opens, and a listing of the trials meets the damage.
    private static void DamagePages(string path, int firstPage = -1)
    {
        var bytes = File.ReadAllBytes(path);
        var pages = bytes.Length / 4096;
        for (var page = firstPage < 0 ? pages / 2 : firstPage; page < pages; page++)
        {
            bytes[page * 4096] = 0xff;
        }
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public async Task A_malformed_page_met_at_run_time_marks_the_store_and_every_later_opening_refuses_it()
    {
        var path = await StoreWithTrialsAsync();
        DamagePages(path);
        // A big store is not checked at opening (as here, with the check off): its damage shows when it is read.
        await using (var store = await SqliteStore.OpenAsync(path, new SqliteStoreOptions { Integrity = SqliteIntegrity.WhenSmall, CheckLimitBytes = 1 }))
        {
            var error = await Should.ThrowAsync<StoreDamagedException>(() => store.ListTrialsAsync(new TrialFilter()));
            error.Message.ShouldStartWith($"the store {path} is damaged (");
            error.Store.ShouldBe(path);
            // And from then on this process writes nothing to it.
            await Should.ThrowAsync<StoreDamagedException>(() => store.CreateStudyAsync(new StudyDefinition("t", null, [], "{}", "fp", 1, null)));
        }
        File.Exists(SqliteStore.MarkPath(path)).ShouldBeTrue();
        var refused = await Should.ThrowAsync<StoreDamagedException>(() => SqliteStore.OpenAsync(path, new SqliteStoreOptions { CheckLimitBytes = 1 }));
        refused.Message.ShouldContain("is damaged");
    }

    [Fact]
    public async Task A_small_store_is_checked_as_it_is_opened()
    {
        var path = await StoreWithTrialsAsync();
        DamagePages(path, firstPage: 1);
        var refused = await Should.ThrowAsync<StoreDamagedException>(() => SqliteStore.OpenAsync(path));
        refused.Message.ShouldContain("quick_check");
        File.Exists(SqliteStore.MarkPath(path)).ShouldBeTrue();
    }

    [Fact]
    public async Task The_full_check_finds_what_the_quick_one_is_not_asked_and_clears_the_mark_when_healthy()
    {
        var path = await StoreWithTrialsAsync();
        await using var store = await SqliteStore.OpenAsync(path, new SqliteStoreOptions { Integrity = SqliteIntegrity.Never });
        (await store.CheckIntegrityAsync(10)).ShouldBeEmpty();
        await File.WriteAllTextAsync(SqliteStore.MarkPath(path), "earlier: malformed");
        store.DamageMark.ShouldBe("earlier: malformed");
        store.ClearDamageMark();
        store.DamageMark.ShouldBeNull();
    }
}
