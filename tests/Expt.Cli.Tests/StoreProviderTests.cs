using Expt.Storage;
using Expt.Storage.Postgres;
using Expt.Storage.Sqlite;

namespace Expt.Cli.Tests;

/// <summary>
/// Stores are opened through providers registered by location: Expt's own as a third party's would be. A host's own
/// provider (here a <c>mirror://</c> scheme over a SQLite file, standing in for a plugin) runs studies through the
/// unmodified commands, and optional capabilities are asked for, not downcast.
/// </summary>
public sealed class StoreProviderTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // A third party's store, by its scheme: it keeps the study in a SQLite file named after the location and wraps it,
    // answering capability questions for what it wraps.
    private sealed class MirrorProvider : IStoreProvider
    {
        public int Opened { get; private set; }

        public string Name => "mirror";

        public bool IsShared => false;

        public bool Handles(string location) => location.StartsWith("mirror://", StringComparison.Ordinal);

        public async Task<IExptStore> OpenAsync(StoreOpenRequest request, CancellationToken cancellationToken = default)
        {
            Opened++;
            var path = Path.Combine(request.WorkingDirectory, request.Location["mirror://".Length..] + ".db");
            if (request.MustExist && !File.Exists(path))
            {
                throw new StoreOpenException($"no mirror at {path}", StoreOpenFailure.NotFound);
            }
            return await new SqliteStoreProvider().OpenAsync(request with { Location = path }, cancellationToken);
        }
    }

    [Fact]
    public async Task A_hosts_own_store_runs_a_study_through_the_unmodified_commands()
    {
        var mirror = new MirrorProvider();
        _cli.Stores = Defaults.Stores().Prepend(mirror);
        var missing = await _cli.RunAsync("ls", "--store", "mirror://m");
        missing.Exit.ShouldBe(ExitCodes.NotFound);
        missing.Error.ShouldContain("no mirror at");
        var run = await _cli.RunAsync("run", "--store", "mirror://m", "--name", "viamirror", "--set", "x=1,2", "--", "true");
        run.Exit.ShouldBe(0, run.Error);
        var ls = await _cli.RunAsync("ls", "--store", "mirror://m", "--format", "csv");
        ls.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
        File.Exists(Path.Combine(_cli.Directory, "m.db")).ShouldBeTrue();
        // The spool went beside the file the store said it is (a capability it answered), not to ./.expt.
        File.Exists(Path.Combine(_cli.Directory, "m.db.spool")).ShouldBeTrue();
        mirror.Opened.ShouldBe(3);

        var unknown = await _cli.RunAsync("ls", "--store", "mysql://db/x");
        unknown.Exit.ShouldBe(ExitCodes.UsageError);
        unknown.Error.ShouldContain("no kind of store opens 'mysql://db/x'; expected one of: mirror, postgresql, sqlite");
    }

    [Fact]
    public void The_defaults_open_postgresql_locations_with_its_provider_and_every_other_location_as_a_file()
    {
        var stores = Defaults.Stores();
        stores.For("postgresql://u@h/db").Name.ShouldBe("postgresql");
        stores.For("Host=h;Username=u;Database=d").Name.ShouldBe("postgresql");
        stores.For(".expt/expt.db").Name.ShouldBe("sqlite");
        stores.For("postgresql://u@h/db").IsShared.ShouldBeTrue();
        stores.For("a.db").IsShared.ShouldBeFalse();
        // A worker started elsewhere gets the location without its password.
        new PostgresStoreProvider().ForWorkers("postgresql://u:s3cret@h:5432/db").ShouldNotContain("s3cret");
    }

    [Fact]
    public async Task Capabilities_are_asked_for()
    {
        await using var store = await new SqliteStoreProvider().OpenAsync(new StoreOpenRequest("c.db") { WorkingDirectory = _cli.Directory });
        store.GetCapability<ILocalStoreFile>()!.Path.ShouldBe(Path.Combine(_cli.Directory, "c.db"));
        store.GetCapability<IIntegrityCheck>().ShouldNotBeNull();
        store.GetCapability<IServerInfo>().ShouldBeNull();
    }
}
