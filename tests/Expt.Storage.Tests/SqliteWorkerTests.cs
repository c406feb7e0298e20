namespace Expt.Storage.Tests;

/// <summary>The worker against a SQLite file.</summary>
public sealed class SqliteWorkerTests : WorkerTests<SqliteStoreFactory>
{
}
