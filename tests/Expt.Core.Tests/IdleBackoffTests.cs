using Expt.Execution;
using Expt.Execution.Workers;

namespace Expt.Core.Tests;

public sealed class IdleBackoffTests
{
    private static double Seconds(int emptyClaims, WorkerOptions options, double jitter) => IdleBackoff.Next(emptyClaims, options, jitter).TotalSeconds;

    [Fact]
    public void The_wait_doubles_with_every_empty_claim_up_to_a_quarter_of_the_lease()
    {
        var options = new WorkerOptions(); // poll 1 s, ceiling 8 s, lease 30 s: the ceiling is 7.5 s
        Enumerable.Range(0, 8).Select(n => Seconds(n, options, 0.999999)).Select(s => Math.Round(s, 3))
            .ShouldBe([1.0, 1.0, 2.0, 4.0, 7.5, 7.5, 7.5, 7.5]);
        // A long lease leaves the configured ceiling; a long idle spell never overflows.
        Seconds(50, options with { Lease = TimeSpan.FromMinutes(10) }, 0.999999).ShouldBe(8.0, 0.001);
        Seconds(int.MaxValue, options with { Lease = TimeSpan.FromMinutes(10) }, 0.999999).ShouldBe(8.0, 0.001);
    }

    [Fact]
    public void The_jitter_spreads_each_wait_between_half_and_all_of_it()
    {
        var options = new WorkerOptions();
        Seconds(4, options, 0).ShouldBe(3.75, 0.001);
        Seconds(4, options, 0.5).ShouldBe(5.625, 0.001);
        Seconds(1, options, 0).ShouldBe(0.5, 0.001);
    }

    [Fact]
    public void A_poll_interval_longer_than_the_ceiling_is_kept()
    {
        // Short leases (tests, --lease 2s) shrink the ceiling below the poll interval: the poll interval wins.
        var options = new WorkerOptions { Lease = TimeSpan.FromSeconds(2), PollInterval = TimeSpan.FromSeconds(1) };
        Seconds(10, options, 0.999999).ShouldBe(1.0, 0.001);
    }
}
