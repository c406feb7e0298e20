namespace Expt.EndToEnd.Tests;

/// <summary><c>expt serve</c> as a process: the addresses a user may give it, and a clean stop on SIGTERM.</summary>
public sealed class ServeEndToEndTests
{
    [Theory]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("[::1]")]
    public async Task Serve_listens_on_an_ipv6_or_mapped_loopback_address_and_stops_on_sigterm(string host)
    {
        using var cli = new ExptCli();
        (await cli.RunAsync("run", "--name", "s", "--set", "x=1", "--", "true")).ExitCode.ShouldBe(0);
        using var serve = cli.Start("serve", "--host", host, "--port", "0");
        var line = await serve.StandardError.ReadLineAsync();
        line.ShouldNotBeNull().ShouldStartWith("Expt dashboard on http://");
        ExptCli.Signal(serve, "TERM");
        var result = await ExptCli.WaitAsync(serve, TimeSpan.FromSeconds(20));
        result.ExitCode.ShouldBe(0, result.ToString());
    }
}
