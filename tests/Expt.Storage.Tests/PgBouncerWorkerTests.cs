namespace Expt.Storage.Tests;

/// <summary>The worker through a real PgBouncer in transaction mode (no LISTEN: idle workers poll).</summary>
public sealed class PgBouncerWorkerTests : WorkerTests<PgBouncerStoreFactory>
{
}
