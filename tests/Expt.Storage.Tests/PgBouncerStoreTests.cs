using Expt.Storage.Postgres;
using Expt.TestSupport;
using Npgsql;

namespace Expt.Storage.Tests;

/// <summary>
/// A store reached through a real PgBouncer without being told: the pooler gives itself away at connection, whichever
/// way it treats the schema, and the store never lands in another schema.
/// </summary>
public sealed class PgBouncerStoreTests : IAsyncLifetime
{
    private string _schema = string.Empty;

    public async Task InitializeAsync() => _schema = (await TestSupport.Postgres.NewSchemaAsync("pgb_")).SearchPath!;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await TestSupport.Postgres.DropSchemaAsync(_schema);
    }

    [Fact]
    public Task A_pgbouncer_that_refuses_the_schema_is_recognised() => RecognisedAsync(TestSupport.PgBouncer.ConnectionString);

    [Fact]
    public async Task A_pgbouncer_that_drops_the_schema_is_recognised()
    {
        // ignore_startup_parameters: PgBouncer accepts the connection and forgets the schema; without a check the
        // store would be the server's default schema.
        var directory = Environment.GetEnvironmentVariable("EXPT_TEST_POSTGRES_DIR") ?? throw new InvalidOperationException("EXPT_TEST_POSTGRES_DIR is not set: run the tests with ./test.sh");
        await using var bouncer = await PgBouncerServer.StartAsync(directory, pool: 2, "ignore_startup_parameters = search_path");
        await RecognisedAsync(bouncer.Server);
    }

    private async Task RecognisedAsync(string pgbouncer)
    {
        var connection = new NpgsqlConnectionStringBuilder(pgbouncer) { SearchPath = _schema };
        await using (var store = await PostgresStore.OpenAsync(connection, Path.GetTempPath()))
        {
            store.PgBouncer.ShouldBeTrue();
            store.Description.ShouldEndWith($"?search_path={_schema}&pgbouncer=true");
            var (study, _) = await store.CreateStudyAsync(new StudyDefinition("found", null, [], "{}", "fp", 1, null));
            await store.EnqueueAsync(study.Id, [new NewTrial("k1", 0, 0, "{}", 1, 1)]);
            (await store.GetConnectionsAsync()).PgBouncer.ShouldBeTrue();
        }
        // Everything is in the schema asked for, and its tables nowhere else.
        var direct = new NpgsqlConnectionStringBuilder(TestSupport.Postgres.ConnectionString) { SearchPath = _schema }.ConnectionString;
        (await TestSupport.Postgres.ScalarAsync(direct, "SELECT COUNT(*) FROM trials")).ShouldBe(1);
        (await TestSupport.Postgres.ScalarAsync(TestSupport.Postgres.ConnectionString, $"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'trials' AND table_schema = '{_schema}'")).ShouldBe(1);
    }
}
