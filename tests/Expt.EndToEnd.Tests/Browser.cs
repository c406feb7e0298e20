using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// A real <c>expt serve</c> process and a real headless Chromium (Debian's, which ./test.sh installs) driven by
/// Playwright. Screenshots go to <c>$EXPT_SCREENSHOTS</c> when set (the README's come from there), else to the
/// test's directory.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Requests = [];

    private readonly Process _server;
    private readonly IPlaywright _playwright;

    private Browser(Process server, IPlaywright playwright, IBrowser chromium, string url)
    {
        _server = server;
        _playwright = playwright;
        Chromium = chromium;
        Url = url;
    }

    public IBrowser Chromium { get; }

    public string Url { get; }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("EXPT_CHROMIUM") ?? "/usr/bin/chromium";

    public static async Task<Browser> StartAsync(ExptCli cli, params string[] serveArgs)
    {
        File.Exists(ChromiumPath).ShouldBeTrue($"{ChromiumPath} is missing: ./test.sh installs Debian's chromium");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var server = cli.Start(["serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. serveArgs]);
        var at = Array.IndexOf(serveArgs, "--host");
        var url = $"http://{(at >= 0 ? serveArgs[at + 1] : "127.0.0.1")}:{port}/";
        using var http = new HttpClient();
        await ExptCli.WaitUntilAsync(() =>
        {
            try
            {
                return http.GetAsync(url + "api/session").GetAwaiter().GetResult().StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;
            }
            catch (HttpRequestException)
            {
                if (server.HasExited)
                {
                    throw new InvalidOperationException("expt serve exited: " + server.StandardError.ReadToEnd());
                }
                return false;
            }
        }, TimeSpan.FromSeconds(60), "expt serve to answer");
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
        });
        return new Browser(server, playwright, chromium, url);
    }

    /// <summary>A new page that fails the test on any script error.</summary>
    public async Task<IPage> PageAsync(List<string> errors, int width = 1400, int height = 1000)
    {
        var page = await Chromium.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        page.PageError += (_, e) => errors.Add(e);
        // What the page asked the server and when, for the failure message of StepsAsync.
        var requests = Requests.GetOrCreateValue(page);
        page.Request += (_, r) => { lock (requests) { requests.Add($"{DateTime.Now:HH:mm:ss.fff} > {r.Method} {r.Url}"); } };
        page.RequestFinished += (_, r) => { lock (requests) { requests.Add($"{DateTime.Now:HH:mm:ss.fff} < {r.Method} {r.Url}"); } };
        page.RequestFailed += (_, r) => { lock (requests) { requests.Add($"{DateTime.Now:HH:mm:ss.fff} ! {r.Method} {r.Url} {r.Failure}"); } };
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Text.Contains("favicon", StringComparison.Ordinal) && !m.Text.Contains("404", StringComparison.Ordinal))
            {
                errors.Add(m.Text);
            }
        };
        return page;
    }

    /// <summary>
    /// Runs a test's steps on a page; when one fails, the failure says where the page was and what it showed, and
    /// what the browser logged (a timeout alone says neither).
    /// </summary>
    public static async Task StepsAsync(IPage page, List<string> errors, Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException or ShouldAssertException)
        {
            string text;
            try
            {
                text = await page.InnerTextAsync("body", new PageInnerTextOptions { Timeout = 2_000 });
            }
            catch (PlaywrightException)
            {
                text = "(unreadable)";
            }
            text = text.Length > 3_000 ? text[..3_000] + "…" : text;
            var requests = Requests.GetOrCreateValue(page);
            string asked;
            lock (requests)
            {
                asked = string.Join("\n", requests.TakeLast(40));
            }
            throw new InvalidOperationException($"{e.Message}\n--- page {page.Url}:\n{text}\n--- browser errors: {string.Join(" | ", errors)}\n--- requests (last 40):\n{asked}", e);
        }
    }

    /// <summary>Waits until the page application has drawn the current page.</summary>
    public static Task ReadyAsync(IPage page) => page.WaitForSelectorAsync("body[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 30_000 });

    public static async Task ScreenshotAsync(IPage page, ExptCli cli, string name)
    {
        var directory = Environment.GetEnvironmentVariable("EXPT_SCREENSHOTS") ?? cli.Directory;
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        new FileInfo(path).Length.ShouldBeGreaterThan(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server.Dispose();
    }
}
