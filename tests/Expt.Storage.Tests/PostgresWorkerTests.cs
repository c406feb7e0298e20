namespace Expt.Storage.Tests;

/// <summary>The worker against the PostgreSQL server of the test run.</summary>
public sealed class PostgresWorkerTests : WorkerTests<PostgresStoreFactory>
{
}
