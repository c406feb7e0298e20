namespace Expt.Storage.Tests;

/// <summary>The conformance suite against SQLite files.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests<SqliteStoreFactory>
{
}
