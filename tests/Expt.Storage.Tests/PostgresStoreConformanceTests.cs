namespace Expt.Storage.Tests;

/// <summary>The conformance suite against a real PostgreSQL server.</summary>
public sealed class PostgresStoreConformanceTests : StoreConformanceTests<PostgresStoreFactory>
{
}
