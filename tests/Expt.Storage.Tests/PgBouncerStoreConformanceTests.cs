namespace Expt.Storage.Tests;

/// <summary>The conformance suite through a real PgBouncer in transaction mode: nothing may rely on a session.</summary>
public sealed class PgBouncerStoreConformanceTests : StoreConformanceTests<PgBouncerStoreFactory>
{
}
