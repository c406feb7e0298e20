using Microsoft.Playwright;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// The dashboard as a user sees it: <c>expt serve</c> over a study that a real <c>expt run</c> filled, opened in
/// headless Chromium; every page, the charts drawn, a click through to the failed trial, live updates.
/// </summary>
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests : IDisposable
{
    private const string Train = """
        import base64, json, math, os, random, sys
        lr, opt, seed = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        rng = random.Random(seed)
        loss = 2.0
        with open(os.environ["EXPT_METRICS"], "w") as m:
            for step in range(200):
                loss = loss * (1 - lr * (0.5 if opt == "sgd" else 1.0)) + rng.gauss(0, 0.005)
                m.write(json.dumps({"step": step, "loss": loss}) + "\n")
        print(f"training lr={lr} opt={opt}: final loss {loss:.4f}")
        if lr > 0.05 and opt == "sgd" and seed % 2 == 0:
            print("Traceback (most recent call last):\nRuntimeError: loss diverged at step 117", file=sys.stderr)
            sys.exit(3)
        png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        open(os.path.join(os.environ["EXPT_TRIAL_DIR"], "plot.png"), "wb").write(base64.b64decode(png))
        json.dump({"loss": loss, "accuracy": 1 - loss / 2}, open(os.environ["EXPT_RESULTS"], "w"))
        """;

    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task RunStudyAsync()
    {
        _cli.Write("train.py", Train);
        _cli.Write("study.yaml", "name: sweep\ndescription: learning rate × optimiser\ntags: [browser]\ncommand: python3 train.py {lr} {opt} {seed}\nparams:\n  lr: [0.001, 0.01, 0.1]\n  opt: [sgd, adam]\nreplications: 4\nseed: 3\n");
        var run = await _cli.RunAsync("run", "study.yaml");
        run.Stderr.ShouldContain("failed", customMessage: run.ToString());
    }

    private static async Task<int> CountAsync(IPage page, string selector) => await page.Locator(selector).CountAsync();

    [Fact]
    public async Task Every_page_renders_its_tables_and_charts_and_leads_to_the_failed_trial()
    {
        await RunStudyAsync();
        await using var browser = await Browser.StartAsync(_cli);
        var errors = new List<string>();
        var page = await browser.PageAsync(errors);
        await Browser.StepsAsync(page, errors, async () =>
        {

            await page.GotoAsync(browser.Url);
            await Browser.ReadyAsync(page);
            (await page.InnerTextAsync("#studies")).ShouldContain("sweep");
            await page.WaitForFunctionAsync("() => !document.querySelector('#studies').innerText.includes('…')");
            (await page.InnerTextAsync("#studies")).ShouldContain("loss min");
            await Browser.ScreenshotAsync(page, _cli, "dashboard-studies.png");

            await page.ClickAsync("#studies a:text('sweep')");
            await page.WaitForSelectorAsync("#trials");
            await page.WaitForSelectorAsync("#summary");
            await page.WaitForSelectorAsync("#curves canvas");
            await page.WaitForSelectorAsync("#scatter circle");
            await page.WaitForSelectorAsync("#parallel polyline");
            (await CountAsync(page, "#trials tr[data-status]")).ShouldBe(24);
            (await CountAsync(page, "#summary tr")).ShouldBe(7); // header + 6 parameter points
            await page.WaitForSelectorAsync("#resources tr td");
            (await CountAsync(page, "#resources tr")).ShouldBe(7); // what the trials used, per parameter point
            (await page.InnerTextAsync("#resources")).ShouldContain(" MiB");
            (await CountAsync(page, "#scatter circle")).ShouldBeGreaterThanOrEqualTo(20);
            // The uPlot canvas has a size and something drawn on it.
            var drawn = await page.EvaluateAsync<bool>("""
                () => { const c = document.querySelector('#curves canvas'); if (!c || !c.width || !c.height) return false;
                  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; }
                """);
            drawn.ShouldBeTrue();
            await page.ClickAsync("button:text-is('one line per trial (this page)')");
            await page.WaitForSelectorAsync("button.on:text('one line per trial (this page)')");
            await page.WaitForSelectorAsync("#curves canvas");
            await page.ClickAsync("button:text-is('mean ± std per group')");
            await Browser.ScreenshotAsync(page, _cli, "dashboard-study.png");

            // Sort by loss, then filter to the failures and follow one.
            await page.ClickAsync("#trials th:text('loss')");
            await page.WaitForFunctionAsync("() => location.search.includes('sort=r.loss')");
            await page.CheckAsync(".chips input[value='failed']");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#trials tr[data-status]').length === 2");
            (await page.InnerTextAsync("#page")).ShouldContain("2 of 24 trials");
            await page.ClickAsync("#trials tr[data-status='failed'] a");
            await page.WaitForSelectorAsync("#error");
            (await page.InnerTextAsync("#error")).ShouldContain("exit code 3");
            await page.WaitForSelectorAsync("#log .bad");
            (await page.InnerTextAsync("#log")).ShouldContain("RuntimeError: loss diverged");
            await page.FillAsync("#log-search", "diverged");
            (await CountAsync(page, "#log .hit")).ShouldBe(1);
            await page.WaitForSelectorAsync("#metrics canvas");
            await Browser.ScreenshotAsync(page, _cli, "dashboard-trial.png");
            // One click made one history entry: Back returns to the filtered study page.
            await page.GoBackAsync();
            await page.WaitForFunctionAsync("() => location.pathname === '/studies/sweep' && document.querySelectorAll('#trials tr[data-status]').length === 2");

            // A completed trial: its image is shown inline.
            await page.GotoAsync(browser.Url + "studies/sweep?status=completed");
            await page.WaitForSelectorAsync("#trials tr[data-status='completed']");
            await page.ClickAsync("#trials tr[data-status='completed'] a");
            await page.WaitForSelectorAsync(".artifacts img");
            (await page.EvaluateAsync<int>("() => document.querySelector('.artifacts img').naturalWidth")).ShouldBe(1);

            // Compare two trials picked in the table.
            await page.GotoAsync(browser.Url + "studies/sweep");
            await page.WaitForSelectorAsync("#trials tr[data-status]");
            var boxes = page.Locator("#trials tr[data-status] input[type=checkbox]");
            await boxes.Nth(0).CheckAsync();
            await boxes.Nth(5).CheckAsync();
            await page.ClickAsync("button:text-is('Compare selected')");
            await page.WaitForSelectorAsync("#compare");
            (await CountAsync(page, "#compare tr:first-child th")).ShouldBe(3);
            (await CountAsync(page, "#compare tr.diff")).ShouldBeGreaterThan(0);
            await page.WaitForSelectorAsync(".chart canvas");
        });
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_raced_study_shows_its_survivors_and_eliminated_points()
    {
        _cli.Write("noisy.py", AdaptiveEndToEndTests.Noisy);
        _cli.Write("race.yaml", AdaptiveEndToEndTests.Race);
        var run = await _cli.RunAsync("run", "race.yaml", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        await using var browser = await Browser.StartAsync(_cli);
        var errors = new List<string>();
        var page = await browser.PageAsync(errors);
        await Browser.StepsAsync(page, errors, async () =>
        {
            await page.GotoAsync(browser.Url + "studies/race");
            await page.WaitForSelectorAsync("#adaptive-points tr.adaptive-eliminated");
            (await page.InnerTextAsync("#adaptive-headline")).ShouldStartWith("race on loss (paired t-tests, Holm, alpha 0.05): ");
            (await CountAsync(page, "#adaptive-points tr.best")).ShouldBe(1);
            (await page.InnerTextAsync("#adaptive-points tr.best")).ShouldContain("survivor (best)");
            (await CountAsync(page, "#adaptive-points tr.adaptive-eliminated")).ShouldBeGreaterThan(0);
            (await page.InnerTextAsync("#adaptive-points tr.adaptive-eliminated >> nth=-1")).ShouldContain("worse than mu=");
            await Browser.ScreenshotAsync(page, _cli, "dashboard-race.png");
        });
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_study_page_follows_the_store_live()
    {
        await RunStudyAsync();
        await using var browser = await Browser.StartAsync(_cli);
        var errors = new List<string>();
        var page = await browser.PageAsync(errors);
        await Browser.StepsAsync(page, errors, async () =>
        {
            await page.GotoAsync(browser.Url + "studies/sweep");
            await page.WaitForSelectorAsync("#trials tr[data-status]");
            await page.WaitForSelectorAsync("#live.on");
            (await page.InnerTextAsync("#counts")).ShouldNotContain("pending");
            var retry = await _cli.RunAsync("retry", "sweep");
            retry.ExitCode.ShouldBe(0, retry.ToString());
            // No reload: the server's event makes the page fetch again.
            await page.WaitForFunctionAsync("() => document.querySelector('#counts').innerText.includes('pending')", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            // The counts are drawn first, the table from its own request just after: wait for it, then look closer.
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#trials tr[data-status=pending]').length > 0", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            (await CountAsync(page, "#trials tr[data-status='pending']")).ShouldBe(2);
            (await CountAsync(page, "#trials tr[data-status='failed']")).ShouldBe(0);
        });
        errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task Beyond_loopback_the_page_needs_the_printed_token_and_actions_need_allow_actions()
    {
        await RunStudyAsync();
        await using var browser = await Browser.StartAsync(_cli, "--host", "127.0.0.2", "--token", "t0ken-for-the-browser-test", "--allow-actions");
        var url = browser.Url;
        var errors = new List<string>();
        var page = await browser.PageAsync(errors);
        await Browser.StepsAsync(page, errors, async () =>
        {
            var denied = await page.GotoAsync(url);
            denied!.Status.ShouldBe(401);
            await page.GotoAsync(url + "studies/sweep?status=failed&token=t0ken-for-the-browser-test");
            await page.WaitForSelectorAsync("#trials tr[data-status='failed']");
            page.Url.ShouldNotContain("token"); // taken out of the address bar
            errors.RemoveAll(e => e.Contains("401", StringComparison.Ordinal)); // the refused first load (and its favicon), logged by the browser
            await page.ClickAsync("#trials tr[data-status='failed'] a");
            // The trial page, not the study page still shown while it loads (its button says "Retry failed").
            await page.WaitForSelectorAsync("h1:text('Trial')");
            await page.ClickAsync("button:text-is('Retry')");
            await page.WaitForSelectorAsync(".notice:text('back to pending')");
            await page.WaitForSelectorAsync("h1 .badge:text('pending')"); // the page is drawn again from the store
            var ls = await _cli.RunAsync("ls", "--study", "sweep", "--status", "pending", "--format", "csv");
            ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2); // header + the retried trial
        });
        errors.ShouldBeEmpty();
    }
}
