using System.Diagnostics;
using Expt.Dashboard;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Storage.Sqlite;
using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Expt.Benchmarks;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium through Playwright): how soon the page of a 100,000-trial study
/// shows its first rows, and how soon a chart of a 1,000,000-point metric history is drawn, both measured in the
/// page (performance.now(), from the start of navigation).
/// </summary>
internal static class DashboardScenario
{
    public static async Task RunAsync(Action<string, int, double> record)
    {
        var dir = Directory.CreateTempSubdirectory("expt-dash-bench-").FullName;
        var db = Path.Combine(dir, "expt.db");
        var clock = Stopwatch.StartNew();
        string longTrial;
        await using (var build = await SqliteStore.OpenAsync(db))
        {
            var big = StudySpecBinder.Bind(YamlConfigReader.Parse("name: big\ncommand: 'true'\nparams:\n  lr: [0.1, 0.01, 0.001, 0.0001]\n  i: range(250)\nreplications: 100\n", "bench"), new BindOptions());
            var prepared = await StudyPreparation.PrepareAsync(build, big, null, requeueCancelled: false);
            await Scenarios.CompleteAllAsync(build, prepared.Study.Id, l => $$"""{"loss":{{(l.Seed % 1000) / 1000.0}},"accuracy":{{(l.Seed % 977) / 977.0}}}""");
            var longSpec = StudySpecBinder.Bind(YamlConfigReader.Parse("name: long\ncommand: 'true'\nparams:\n  x: [1]\n", "bench"), new BindOptions());
            var longStudy = await StudyPreparation.PrepareAsync(build, longSpec, null, requeueCancelled: false);
            var lease = (await build.ClaimAsync(new ClaimRequest(new WorkerIdentity("bench", "h", 1), 1, TimeSpan.FromMinutes(5), longStudy.Study.Id))).Single();
            var now = DateTimeOffset.UtcNow;
            for (var start = 0; start < 1_000_000; start += 100_000)
            {
                await build.AppendMetricsAsync(lease, Enumerable.Range(start, 100_000).Select(i => new MetricPoint("loss", i, Math.Exp(-i / 200_000.0) + (0.05 * Math.Sin(i / 50.0)), now)).ToList());
            }
            await build.CompleteAsync([new TrialCompletion(lease, new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(1), """{"loss":0.0067}"""))]);
            longTrial = lease.TrialId;
        }
        Console.WriteLine($"dashboard: built a store with a 100,000-trial study and a 1,000,000-point metric in {clock.Elapsed.TotalSeconds:0.0} s");

        await using var store = await SqliteStore.OpenAsync(db);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Services.AddExptDashboard(store, new DashboardOptions());
        await using var app = builder.Build();
        app.UseExptDashboard();
        await app.StartAsync();
        await ExptDashboard.WarmUpAsync(app.Services, 20, CancellationToken.None); // as expt serve does when it starts
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        using (var http = new HttpClient())
        {
            foreach (var path in new[] { "/api/studies/big", "/api/studies/big/trials?page=1&size=50", "/api/studies/big/trials?page=1&size=50", "/api/studies/big/summary", "/api/studies/big/summary" })
            {
                var watch = Stopwatch.StartNew();
                var body = await http.GetStringAsync(url + path);
                Console.WriteLine($"dashboard: GET {path}: {watch.Elapsed.TotalMilliseconds:0} ms, {body.Length:N0} bytes");
            }
        }
        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("EXPT_CHROMIUM") ?? "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
        });
        for (var round = 0; round <= 5; round++)
        {
            var page = await chromium.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
            await page.GotoAsync(url + "/studies/big", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.WaitForSelectorAsync("#trials tr[data-status]", new PageWaitForSelectorOptions { Timeout = 60_000 });
            // Marks the page sets the moment it has put them on screen (the main thread may be busy drawing the rest
            // when the test asks).
            var rows = await page.EvaluateAsync<double>("() => performance.getEntriesByName('expt:rows')[0].startTime");
            if (round == 1 && Environment.GetEnvironmentVariable("EXPT_BENCH_VERBOSE") is not null)
            {
                Console.WriteLine(await page.EvaluateAsync<string>("() => performance.getEntriesByType('resource').map(e => e.name.replace(/^http:..[^/]+/, '') + ' ' + (e.startTime|0) + '-' + (e.responseEnd|0)).join('\\n')"));
            }
            var fcp = await page.EvaluateAsync<double>("(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime");
            await page.WaitForSelectorAsync("#summary", new PageWaitForSelectorOptions { Timeout = 60_000 });
            var summary = await page.EvaluateAsync<double>("() => performance.getEntriesByName('expt:summary')[0].startTime");

            await page.GotoAsync(url + "/trials/" + longTrial, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.WaitForSelectorAsync("#metrics canvas", new PageWaitForSelectorOptions { Timeout = 60_000 });
            await page.WaitForFunctionAsync("() => performance.getEntriesByName('expt:metrics').length > 0");
            var chart = await page.EvaluateAsync<double>("() => performance.getEntriesByName('expt:metrics')[0].startTime");
            await page.CloseAsync();
            record("dashboard: 100,000-trial study page, first trial rows shown, ms", round, rows);
            record("dashboard: 100,000-trial study page, first contentful paint, ms", round, fcp);
            record("dashboard: 100,000-trial study page, summary of 1,000 groups shown, ms", round, summary);
            record("dashboard: trial page, chart of a 1,000,000-point metric drawn, ms", round, chart);
            Console.WriteLine($"dashboard round {round}{(round == 0 ? " (first visit: browser and server code cold)" : "")}: study rows {rows:0} ms (first paint {fcp:0} ms), summary {summary:0} ms, 1M-point chart {chart:0} ms");
        }
        await app.StopAsync();
        Directory.Delete(dir, recursive: true);
    }
}
