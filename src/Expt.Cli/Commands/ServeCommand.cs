using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Expt.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt serve</c>: the web dashboard over a store, on Kestrel from the ASP.NET Core shared framework. Loopback
/// only unless given a token; read-only unless <c>--allow-actions</c>.
/// </summary>
internal sealed class ServeCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Option<string> _host = new("--host") { Description = "The address to listen on; any other than a loopback address needs a token", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<int?> _port = GlobalOptions.Integer("--port", "-p", "The port (0 for any free one) [default: 5000]", "a port number");
    private readonly Option<string?> _token = new("--token") { Description = "The access token every request must carry; generated when listening beyond loopback without one; or $EXPT_DASHBOARD_TOKEN" };
    private readonly Option<bool> _allowActions = new("--allow-actions") { Description = "Show retry and cancel buttons (read-only otherwise)" };
    private readonly Option<string?> _allowedHosts = new("--allowed-hosts") { Description = "Host names (comma-separated) the dashboard answers for besides loopback ones; default: this machine's name and addresses when listening beyond loopback; '*' for any" };

    /// <summary>The shortest token accepted: 16 characters (expt serve generates 40 hex digits).</summary>
    public const int MinTokenLength = 16;

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt serve",
        "expt serve --store postgresql://expt@db/expt --port 8080",
        "expt serve --host 0.0.0.0 --allow-actions",
    ];

    public override Command Build()
    {
        var command = new Command("serve", "Start the web dashboard: studies, trials, summaries and charts, updated live.");
        foreach (var option in new Option[] { _host, _port, _token, _allowActions, _allowedHosts })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var host = parseResult.GetValue(_host)!;
        var port = parseResult.GetValue(_port) ?? 5000;
        if (port is < 0 or > 65535)
        {
            throw new UserException($"--port: expected a port number from 0 to 65535, got {port}");
        }
        IPAddress? address = null;
        if (host != "localhost" && !IPAddress.TryParse(host.Trim('[', ']'), out address))
        {
            throw new UserException($"--host: expected an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, got '{Spec.InputLimits.Quote(host)}'");
        }
        if (address is { IsIPv4MappedToIPv6: true })
        {
            // ::ffff:127.0.0.1 is 127.0.0.1: listen on the IPv4 address it names.
            address = address.MapToIPv4();
            host = address.ToString();
        }
        var token = parseResult.GetValue(_token) ?? Env.GetEnvironmentVariable("EXPT_DASHBOARD_TOKEN");
        if (token is not null && WeakToken(token) is { } weak)
        {
            throw new UserException($"--token: {weak}; use at least {MinTokenLength} characters without spaces, or leave it out to have one generated");
        }
        var allowed = (parseResult.GetValue(_allowedHosts) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var loopbackOnly = host == "localhost" || (address is not null && IPAddress.IsLoopback(address));
        if (!loopbackOnly)
        {
            allowed.AddRange(MachineNames(address));
        }
        var options = new DashboardOptions { Token = token, AllowActions = parseResult.GetValue(_allowActions), AllowedHosts = allowed };
        var generated = false;
        if (ExptDashboard.CheckBinding(host, options) is not null)
        {
            // Reachable from other machines: never without a token. Made here and printed once.
            options = options with { Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant() };
            generated = true;
        }

        // Pages ask for several things at once: a few operations in parallel (each a connection).
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult) with { Operations = 4 }, Env, cancellationToken).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (address is null)
            {
                kestrel.ListenLocalhost(port);
            }
            else
            {
                kestrel.Listen(address, port);
            }
        });
        builder.Services.AddExptDashboard(store, options);
        await using var app = builder.Build();
        // Ctrl+C or SIGTERM stops the server (open live feeds end with it).
        using var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupts = Env.Interrupts.Subscribe(_ => stopped.Cancel());
        app.UseExptDashboard();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException or ArgumentException)
        {
            throw new UserException($"cannot listen on {host}:{port}: {(ex.InnerException ?? ex).Message} (pick another --host or --port, or 0 for any free port)");
        }
        // Load the recent studies now, in the background: the first visitor of a 100,000-trial study does not wait.
        var warmUp = Task.Run(() => ExptDashboard.WarmUpAsync(app.Services, 20, stopped.Token), CancellationToken.None);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{host}:{port}";
        var url = bound.Replace("0.0.0.0", Dns.GetHostName(), StringComparison.Ordinal).TrimEnd('/') + "/";
        var link = options.Token is { } t ? url + "?token=" + t : url;
        await Env.Error.WriteLineAsync($"Expt dashboard on {link}").ConfigureAwait(false);
        if (generated)
        {
            await Env.Error.WriteLineAsync("the access token was generated for this run (listening beyond loopback needs one); share the link only with those who may see the studies").ConfigureAwait(false);
        }
        await Env.Error.WriteLineAsync(options.AllowActions ? "retry and cancel are enabled; Ctrl+C stops" : "read-only (--allow-actions enables retry and cancel); Ctrl+C stops").ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stopped.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await warmUp.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or Storage.StoreUnavailableException or System.Data.Common.DbException)
        {
            // Only a head start; the pages load studies on demand anyway.
        }
        return ExitCodes.Success;
    }

    /// <summary>Why a token is too weak to guard a dashboard others can reach, or null.</summary>
    internal static string? WeakToken(string token) =>
        token.Length < MinTokenLength ? $"the token has {token.Length} characters, too few to guess-proof"
        : token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? "the token holds whitespace or control characters"
        : token.Distinct().Count() < 4 ? "the token repeats too few characters"
        : null;

    /// <summary>The names and addresses others may use for this machine: its host name, and the listening address (or every address of this machine for 0.0.0.0 and ::).</summary>
    private static IEnumerable<string> MachineNames(IPAddress? address)
    {
        var names = new List<string> { Dns.GetHostName() };
        try
        {
            names.Add(Dns.GetHostEntry(Dns.GetHostName()).HostName);
        }
        catch (SocketException)
        {
            // No resolver: the plain host name is enough.
        }
        if (address is not null && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            names.Add(address.ToString());
        }
        else
        {
            names.AddRange(System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address.ToString()));
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase);
    }
}
