using Expt.Storage;
using Expt.Storage.Postgres;
using Expt.Storage.Sqlite;

namespace Expt.Cli;

/// <summary>
/// Expt's own parts, registered as a third party's would be: the one place the command line names a concrete store or
/// executor. PostgreSQL first (it claims URLs and connection strings), SQLite last (any other location is a file path).
/// </summary>
internal static class Defaults
{
    /// <summary>The stores Expt opens out of the box.</summary>
    public static StoreProviders Stores() => new StoreProviders().Add(new PostgresStoreProvider()).Add(new SqliteStoreProvider());

    /// <summary>The executors Expt has out of the box: commands, Python functions, the hosting program's C# experiments.</summary>
    public static Plugins.ExecutorProviders Executors(ExperimentCatalog experiments, IReadOnlyList<string> selfCommand) => new Plugins.ExecutorProviders()
        .Add(new Plugins.CommandExecutorProvider(Plugins.ExecutorKinds.Command))
        .Add(new Plugins.CommandExecutorProvider(Plugins.ExecutorKinds.Python))
        .Add(new CSharpExecutorProvider(experiments, selfCommand));
}
