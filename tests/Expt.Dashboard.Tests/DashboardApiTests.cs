using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Dashboard.Tests;

/// <summary>
/// The dashboard's HTTP API over a real store (SQLite file, PostgreSQL server), through ASP.NET Core's test server:
/// listings, filters, summaries, charts' data, files, security.
/// </summary>
public abstract class DashboardApiTests : IAsyncLifetime
{
    private IExptStore _store = null!;

    protected abstract Task<IExptStore> OpenStoreAsync();

    protected virtual Task CloseStoreAsync() => Task.CompletedTask;

    /// <summary>Runs raw SQL on the store's database (to write what Expt itself never would).</summary>
    protected abstract Task ExecuteSqlAsync(string sql, params (string Name, object Value)[] parameters);

    public async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        await SeededStudy.SeedAsync(_store);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await CloseStoreAsync();
    }

    private DashboardFactory Factory(DashboardOptions? options = null) => new(_store, options ?? new DashboardOptions { LivePollInterval = TimeSpan.FromMilliseconds(100) });

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{url}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private async Task<TrialRecord> TrialAsync(Func<TrialRecord, bool> which) =>
        (await _store.ListTrialsAsync(new TrialFilter())).First(which);

    [Fact]
    public async Task Studies_list_counts_by_status_and_the_best_result()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var studies = await GetJsonAsync(client, "/api/studies");
        var study = studies.EnumerateArray().Single(s => s.GetProperty("name").GetString() == SeededStudy.Name);
        study.GetProperty("name").GetString().ShouldBe(SeededStudy.Name);
        study.GetProperty("total").GetInt32().ShouldBe(18);
        study.GetProperty("counts").GetProperty("completed").GetInt32().ShouldBe(17);
        study.GetProperty("counts").GetProperty("failed").GetInt32().ShouldBe(1);
        var best = await GetJsonAsync(client, "/api/studies/sweep/best");
        best.GetProperty("metric").GetString().ShouldBe("loss");
        best.GetProperty("goal").GetString().ShouldBe("min");
        best.GetProperty("value").GetDouble().ShouldBe(2 * Math.Pow(0.9, 50), 1e-9);
        (await client.GetAsync("/api/studies/nope")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        foreach (var page in new[] { "best", "trials", "summary", "curves", "scatter", "parallel", "groups?g=x", "images" })
        {
            var missing = await client.GetAsync($"/api/studies/nope/{page}");
            missing.StatusCode.ShouldBe(HttpStatusCode.NotFound, page);
            (await missing.Content.ReadAsStringAsync()).ShouldContain("no study named 'nope'");
        }
    }

    [Fact]
    public async Task An_adaptive_study_shows_its_race_and_a_damaged_decision_row_does_not_break_it()
    {
        var yaml = "name: raced\nobjectives: {loss: minimize}\nparams:\n  x: [1, 2, 3]\nrace: {min_replications: 3, max_replications: 4}\n";
        var spec = Expt.Spec.StudySpecBinder.Bind(Expt.Spec.YamlConfigReader.Parse(yaml, "raced.yaml"), new Expt.Spec.BindOptions { DefaultExperiment = "t" });
        var prepared = await Expt.Execution.StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: false);
        // x = 3 is worse in every replicate; 1 and 2 tie and survive at max_replications.
        var executor = new Expt.Execution.InProcessExecutor(t => Task.FromResult<object?>(new { loss = (t.Get<int>("x") == 3 ? 5 : 0) + (t.Replicate * 0.01) }), null);
        var rules = new Dictionary<string, Adaptive.AdaptiveRules> { [prepared.Study.Id] = Adaptive.AdaptiveRules.For(prepared.Study)! };
        await new Expt.Execution.Worker(_store, _ => executor, new Expt.Execution.WorkerOptions { StudyId = prepared.Study.Id, Slots = 2, AdaptiveStudies = rules }).RunAsync(default, default);

        using var factory = Factory();
        var client = factory.CreateClient();
        var adaptive = await GetJsonAsync(client, "/api/studies/raced/adaptive");
        adaptive.GetProperty("mode").GetString().ShouldBe("race");
        adaptive.GetProperty("finished").GetBoolean().ShouldBeTrue();
        adaptive.GetProperty("trials").GetInt32().ShouldBe(11);
        adaptive.GetProperty("full_cost").GetInt32().ShouldBe(12);
        adaptive.GetProperty("headline").GetString()!.ShouldStartWith("race on loss (paired t-tests, Holm, alpha 0.05): 2 survivors, 1 eliminated, 0 failed of 3 points; finished after round 4; 11 trials");
        var points = adaptive.GetProperty("points").EnumerateArray().ToList();
        points.Select(p => (p.GetProperty("label").GetString(), p.GetProperty("state").GetString(), p.GetProperty("completed").GetInt32()))
            .ShouldBe([("x=1", "survivor", 4), ("x=2", "survivor", 4), ("x=3", "eliminated", 3)]);
        points[0].GetProperty("best").GetBoolean().ShouldBeTrue();
        points[2].GetProperty("status").GetString().ShouldBe("eliminated in round 3 (p = 0)");
        points[2].GetProperty("reason").GetString()!.ShouldContain("worse than x=1 on loss over 3 replicates");
        (await GetJsonAsync(client, "/api/studies/sweep/adaptive")).GetProperty("mode").ValueKind.ShouldBe(JsonValueKind.Null);

        // A decision row written by something else (a newer Expt, a hand edit): read as decided, never a 500.
        await ExecuteSqlAsync("UPDATE point_decisions SET state = 'mystery', p_value = NULL WHERE state = 'eliminated'");
        using var again = Factory();
        var after = await GetJsonAsync(again.CreateClient(), "/api/studies/raced/adaptive");
        after.GetProperty("points").EnumerateArray().Count().ShouldBe(3);
    }

    [Fact]
    public async Task The_dashboard_ranks_by_the_declared_objectives_like_the_cli_and_never_guesses_from_names()
    {
        var yaml = "name: declared\nobjectives: {accuracy: maximize}\nparams:\n  x: [1, 2, 3]\n";
        var spec = Expt.Spec.StudySpecBinder.Bind(Expt.Spec.YamlConfigReader.Parse(yaml, "declared.yaml"), new Expt.Spec.BindOptions { DefaultExperiment = "t" });
        var prepared = await Expt.Execution.StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: false);
        var executor = new Expt.Execution.InProcessExecutor(t => Task.FromResult<object?>(new { loss = t.Get<int>("x"), accuracy = t.Get<int>("x") / 10.0, score = t.Get<int>("x") }), null);
        await new Expt.Execution.Worker(_store, _ => executor, new Expt.Execution.WorkerOptions { StudyId = prepared.Study.Id, Slots = 1 }).RunAsync(default, default);
        using var factory = Factory();
        var client = factory.CreateClient();
        var study = await GetJsonAsync(client, "/api/studies/declared");
        study.GetProperty("goals").GetProperty("accuracy").GetString().ShouldBe("max");
        study.GetProperty("goals").GetProperty("loss").GetString().ShouldBe("min");
        study.GetProperty("goals").GetProperty("score").GetString().ShouldBe("min", "undeclared: lower is better, as in expt summary, whatever the name says");
        study.GetProperty("objectives")[0].GetProperty("metric").GetString().ShouldBe("accuracy");
        var best = await GetJsonAsync(client, "/api/studies/declared/best");
        best.GetProperty("metric").GetString().ShouldBe("accuracy");
        best.GetProperty("goal").GetString().ShouldBe("max");
        best.GetProperty("value").GetDouble().ShouldBe(0.3);
        var summary = await GetJsonAsync(client, "/api/studies/declared/summary?by=x");
        summary.GetProperty("goal").GetString().ShouldBe("max");
    }

    [Fact]
    public async Task Images_are_collected_per_group_with_urls_the_file_endpoint_serves()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var images = await GetJsonAsync(client, "/api/studies/sweep/images?by=lr");
        var groups = images.GetProperty("groups").EnumerateArray().ToList();
        groups.Select(g => g.GetProperty("label").GetString()).ShouldBe(["lr=0.001", "lr=0.01", "lr=0.1"]);
        // Six trials per learning rate, less the one that diverged (lr 0.1, sgd, replicate 0): each saved plot.png.
        groups.Select(g => g.GetProperty("total").GetInt32()).ShouldBe([6, 6, 5]);
        var first = groups[0].GetProperty("images")[0];
        first.GetProperty("path").GetString().ShouldBe("plot.png");
        var png = await client.GetAsync(first.GetProperty("url").GetString());
        png.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await png.Content.ReadAsByteArrayAsync()).ShouldBe(SeededStudy.Png);
        var all = await GetJsonAsync(client, "/api/studies/sweep/images");
        all.GetProperty("groups").GetArrayLength().ShouldBe(6); // by the whole point: lr × opt
    }

    [Fact]
    public async Task Trials_are_filtered_sorted_and_paged_on_the_server()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var failed = await GetJsonAsync(client, "/api/studies/sweep/trials?status=failed");
        failed.GetProperty("matched").GetInt32().ShouldBe(1);
        failed.GetProperty("rows")[0].GetProperty("error").GetString().ShouldNotBeNull().ShouldContain("loss diverged");

        var where = await GetJsonAsync(client, "/api/studies/sweep/trials?where=" + Uri.EscapeDataString("lr > 0.005 and opt == 'adam'"));
        where.GetProperty("matched").GetInt32().ShouldBe(6);

        var sorted = await GetJsonAsync(client, "/api/studies/sweep/trials?sort=r.loss&desc=true&size=5&page=2");
        sorted.GetProperty("pages").GetInt32().ShouldBe(4);
        sorted.GetProperty("page").GetInt32().ShouldBe(2);
        var losses = sorted.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("results").GetProperty("loss").GetDouble()).ToList();
        losses.Count.ShouldBe(5);
        losses.ShouldBe(losses.OrderByDescending(l => l).ToList());
        var all = await GetJsonAsync(client, "/api/studies/sweep/trials?sort=r.loss&desc=true&size=500");
        // Missing values (the failed trial has no loss) stay last whichever the direction.
        all.GetProperty("rows").EnumerateArray().Last().GetProperty("status").GetString().ShouldBe("failed");

        var bad = await client.GetAsync("/api/studies/sweep/trials?where=" + Uri.EscapeDataString("lr >"));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("where:");
        (await client.GetAsync("/api/studies/sweep/trials?sort=bogus")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Summary_aggregates_replications_with_confidence_intervals_and_ranks()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var summary = await GetJsonAsync(client, "/api/studies/sweep/summary?metric=loss&by=lr");
        var groups = summary.GetProperty("groups").EnumerateArray().ToList();
        groups.Count.ShouldBe(3);
        var fast = groups.Single(g => g.GetProperty("label").GetString() == "lr=0.1");
        fast.GetProperty("n").GetInt32().ShouldBe(5);
        fast.GetProperty("failed").GetInt32().ShouldBe(1);
        fast.GetProperty("rank").GetInt32().ShouldBe(1);
        fast.GetProperty("mean").GetDouble().ShouldBe(2 * Math.Pow(0.9, 50), 1e-9);
        var max = await GetJsonAsync(client, "/api/studies/sweep/summary?metric=loss&by=lr&goal=max");
        max.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("label").GetString() == "lr=0.1").GetProperty("rank").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task What_trials_used_is_offered_as_metrics_and_summarised_per_group()
    {
        // Command trials record their usage; these in-process ones are given some, as the store would hold it.
        await ExecuteSqlAsync("UPDATE trials SET usage = '{\"cpus\": 1, \"wall_seconds\": 2, \"cpu_user_seconds\": 1, \"peak_memory_bytes\": 104857600}' WHERE status = 'completed'");
        using var factory = Factory();
        var client = factory.CreateClient();
        var study = await GetJsonAsync(client, "/api/studies/sweep");
        study.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()).ShouldBe(["loss", "accuracy", "usage.cpu_seconds", "usage.cpu_efficiency", "usage.peak_memory_mb", "usage.wall_seconds"]);
        var summary = await GetJsonAsync(client, "/api/studies/sweep/summary?metric=usage.peak_memory_mb&by=opt");
        summary.GetProperty("groups").EnumerateArray().ShouldAllBe(g => g.GetProperty("mean").GetDouble() == 100);
        var efficiency = await GetJsonAsync(client, "/api/studies/sweep/scatter?metric=usage.cpu_efficiency&param=lr");
        efficiency.GetProperty("points").EnumerateArray().ShouldAllBe(p => p.GetProperty("y").GetDouble() == 0.5);
    }

    [Fact]
    public async Task Chart_data_curves_scatter_parallel_and_groups()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var mean = await GetJsonAsync(client, "/api/studies/sweep/curves?metric=loss&by=opt");
        mean.GetProperty("names").EnumerateArray().Select(n => n.GetString()).ShouldBe(["loss"]);
        var series = mean.GetProperty("series").EnumerateArray().ToList();
        series.Count.ShouldBe(2);
        series[0].GetProperty("x").GetArrayLength().ShouldBe(50);
        series[0].GetProperty("std").GetArrayLength().ShouldBe(50);

        var ids = (await _store.ListTrialsAsync(new TrialFilter())).Take(3).Select(t => t.Id).ToList();
        var perTrial = await GetJsonAsync(client, $"/api/studies/sweep/curves?mode=trials&ids={string.Join(',', ids)}");
        perTrial.GetProperty("series").GetArrayLength().ShouldBe(3);

        var scatter = await GetJsonAsync(client, "/api/studies/sweep/scatter?metric=loss&param=opt");
        scatter.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldBe(["adam", "sgd"]);
        scatter.GetProperty("points").GetArrayLength().ShouldBe(17);

        var parallel = await GetJsonAsync(client, "/api/studies/sweep/parallel?metric=loss");
        parallel.GetProperty("axes").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ShouldBe(["lr", "opt", "loss"]);
        parallel.GetProperty("lines").GetArrayLength().ShouldBe(17);

        var groups = await GetJsonAsync(client, "/api/studies/sweep/groups?g=" + Uri.EscapeDataString("opt == 'adam'") + "&g=" + Uri.EscapeDataString("opt == 'sgd'"));
        groups.GetProperty("groups")[0].GetProperty("stats").GetProperty("loss").GetProperty("n").GetInt32().ShouldBe(9);
        groups.GetProperty("groups")[1].GetProperty("stats").GetProperty("loss").GetProperty("n").GetInt32().ShouldBe(8);
        groups.GetProperty("comparison").GetProperty("loss").GetProperty("welch_p").ValueKind.ShouldBe(JsonValueKind.Number);
    }

    [Fact]
    public async Task A_long_history_is_downsampled_on_the_server_keeping_its_extremes()
    {
        var spec = Spec.StudySpecBinder.Bind(Spec.YamlConfigReader.Parse("name: long\nparams:\n  x: [1]\n", "long.yaml"), new Spec.BindOptions { DefaultExperiment = "t" });
        var prepared = await Execution.StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var executor = new Execution.InProcessExecutor(t =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                t.Log("long", i == 123_457 ? 1e6 : Math.Sin(i / 1000.0), i);
            }
            return Task.FromResult<object?>(null);
        }, null);
        await new Execution.Worker(_store, _ => executor, new Execution.WorkerOptions { StudyId = prepared.Study.Id }).RunAsync(default, default);
        var trial = await TrialAsync(t => t.StudyName == "long");
        using var factory = Factory(new DashboardOptions { MaxSeriesPoints = 2000 });
        var metrics = await GetJsonAsync(factory.CreateClient(), $"/api/trials/{trial.Id}/metrics");
        var series = metrics.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "long");
        series.GetProperty("n").GetInt32().ShouldBe(200_000);
        var y = series.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToList();
        y.Count.ShouldBeLessThanOrEqualTo(2000);
        y.Max().ShouldBe(1e6);
        y.Min().ShouldBe(-1, 1e-6);
    }

    [Fact]
    public async Task A_trial_shows_params_results_error_files_and_logs()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var failed = await TrialAsync(t => t.Status == TrialStatus.Failed);
        var f = await GetJsonAsync(client, $"/api/trials/{failed.Id[..6]}");
        f.GetProperty("id").GetString().ShouldBe(failed.Id);
        f.GetProperty("error").GetString().ShouldNotBeNull().ShouldContain("loss diverged");
        f.GetProperty("params").GetProperty("opt").GetString().ShouldBe("sgd");

        var ok = await TrialAsync(t => t.Status == TrialStatus.Completed);
        var t = await GetJsonAsync(client, $"/api/trials/{ok.Id}");
        t.GetProperty("results").GetProperty("loss").GetDouble().ShouldBeGreaterThan(0);
        // The same names as the CLI's --format json: snake_case everywhere.
        t.GetProperty("max_attempts").GetInt32().ShouldBe(1);
        t.TryGetProperty("maxAttempts", out _).ShouldBeFalse();
        var files = t.GetProperty("files").EnumerateArray().ToDictionary(x => x.GetProperty("path").GetString()!, x => x.GetProperty("image").GetBoolean());
        files["plot.png"].ShouldBeTrue();
        files["stdout.log"].ShouldBeFalse();
        var png = await client.GetAsync($"/api/trials/{ok.Id}/files/plot.png");
        png.StatusCode.ShouldBe(HttpStatusCode.OK);
        png.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        (await png.Content.ReadAsByteArrayAsync()).ShouldBe(SeededStudy.Png);
        var download = await client.GetAsync($"/api/trials/{ok.Id}/files/plot.png?download=true");
        download.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        (await client.GetStringAsync($"/api/trials/{ok.Id}/log/stdout")).ShouldContain("all done");
        (await client.GetAsync($"/api/trials/{ok.Id}/log/passwd")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var compare = await GetJsonAsync(client, $"/api/compare?ids={ok.Id},{failed.Id}");
        compare.GetProperty("trials").GetArrayLength().ShouldBe(2);
    }

    [Theory]
    [InlineData("../../secret.txt")]
    [InlineData("..%2F..%2Fsecret.txt")]
    [InlineData("%2E%2E/%2E%2E/secret.txt")]
    [InlineData("..%5C..%5Csecret.txt")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("link/secret.txt")]
    public async Task Artifact_paths_cannot_leave_the_trial_directory(string path)
    {
        var ok = await TrialAsync(t => t.Status == TrialStatus.Completed);
        var directory = Path.Combine(_store.RunsDirectory, ok.StudyName, ok.Id);
        var link = Path.Combine(directory, "link");
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, _store.RunsDirectory); // a link inside pointing out
        }
        using var factory = Factory();
        var response = await factory.CreateClient().GetAsync($"/api/trials/{ok.Id}/files/{path}");
        response.StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldNotContain("do not serve me");
        (await response.Content.ReadAsStringAsync()).ShouldNotContain("root:");
    }

    [Fact]
    public async Task No_secret_from_provenance_reaches_a_page()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        var trial = await TrialAsync(t => t.Status == TrialStatus.Completed);
        var bodies = new[] { "/api/studies", "/api/studies/sweep", $"/api/trials/{trial.Id}", $"/api/compare?ids={trial.Id}" };
        foreach (var url in bodies)
        {
            var body = await client.GetStringAsync(url);
            body.ShouldNotContain(SeededStudy.StudySecret);
            body.ShouldNotContain(SeededStudy.UrlPassword);
            body.ShouldNotContain(SeededStudy.TrialSecret);
        }
        (await client.GetStringAsync("/api/studies/sweep")).ShouldContain("/root"); // the rest of the provenance is there
    }

    [Fact]
    public async Task With_a_token_every_request_must_carry_it()
    {
        using var factory = Factory(new DashboardOptions { Token = "s3cret-token" });
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        (await client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync("/api/studies")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync("/static/app.js")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync("/api/studies?token=wrong")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var link = await client.GetAsync("/studies/sweep?token=s3cret-token");
        link.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        link.Headers.Location!.ToString().ShouldBe("/studies/sweep");
        var cookie = link.Headers.GetValues("Set-Cookie").Single();
        cookie.ShouldContain("httponly");
        cookie.ShouldContain("samesite=strict");
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        (await client.SendAsync(withCookie)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
        (await client.SendAsync(bearer)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public void Only_loopback_addresses_may_be_served_without_a_token()
    {
        var open = new DashboardOptions();
        ExptDashboard.CheckBinding("127.0.0.1", open).ShouldBeNull();
        ExptDashboard.CheckBinding("::1", open).ShouldBeNull();
        ExptDashboard.CheckBinding("localhost", open).ShouldBeNull();
        ExptDashboard.CheckBinding("0.0.0.0", open).ShouldNotBeNull().ShouldContain("token");
        ExptDashboard.CheckBinding("192.168.1.5", open).ShouldNotBeNull();
        ExptDashboard.CheckBinding("0.0.0.0", open with { Token = "t" }).ShouldBeNull();
    }

    [Fact]
    public async Task Actions_need_allow_actions_and_the_csrf_header()
    {
        var failed = await TrialAsync(t => t.Status == TrialStatus.Failed);
        using (var readOnly = Factory())
        {
            var client = readOnly.CreateClient();
            (await client.PostAsync($"/api/trials/{failed.Id}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await GetJsonAsync(client, "/api/session")).GetProperty("csrf").ValueKind.ShouldBe(JsonValueKind.Null);
        }
        using var factory = Factory(new DashboardOptions { AllowActions = true });
        var actions = factory.CreateClient();
        (await actions.PostAsync($"/api/trials/{failed.Id}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var csrf = (await GetJsonAsync(actions, "/api/session")).GetProperty("csrf").GetString()!;
        using (var crossOrigin = new HttpRequestMessage(HttpMethod.Post, $"/api/trials/{failed.Id}/retry"))
        {
            crossOrigin.Headers.Add(Csrf.Header, csrf);
            crossOrigin.Headers.Add("Origin", "https://evil.example");
            (await actions.SendAsync(crossOrigin)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        (await _store.ListTrialsAsync(new TrialFilter { Ids = [failed.Id] })).Single().Status.ShouldBe(TrialStatus.Failed);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/trials/{failed.Id}/retry");
        request.Headers.Add(Csrf.Header, csrf);
        var response = await actions.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await _store.ListTrialsAsync(new TrialFilter { Ids = [failed.Id] })).Single().Status.ShouldBe(TrialStatus.Pending);
    }

    [Fact]
    public async Task The_live_feed_announces_changes_in_the_store()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        using var response = await client.GetAsync("/api/live?study=sweep", HttpCompletionOption.ResponseHeadersRead);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await reader.ReadLineAsync()).ShouldBe("retry: 2000");
        await Task.Delay(300);
        var failed = await TrialAsync(t => t.Status == TrialStatus.Failed);
        await _store.ResetAsync(failed.StudyId, [TrialStatus.Failed]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(timeout.Token);
        }
        while (line is not null && line != "event: change");
        line.ShouldBe("event: change");
    }

    [Fact]
    public async Task The_live_feed_of_an_unknown_study_is_not_found()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        using var response = await client.GetAsync("/api/live?study=nope", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldBe("{\"error\":\"no study named 'nope'\"}");
    }

    [Fact]
    public async Task Pages_and_static_files_are_served_from_the_assembly()
    {
        using var factory = Factory();
        var client = factory.CreateClient();
        foreach (var page in new[] { "/", "/studies/sweep", "/trials/abc", "/compare?ids=a,b" })
        {
            var html = await client.GetAsync(page);
            html.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            (await html.Content.ReadAsStringAsync()).ShouldContain("/static/app.js");
            html.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("default-src 'self'");
        }
        (await client.GetStringAsync("/static/vendor/uPlot.iife.min.js")).Length.ShouldBeGreaterThan(10_000);
        (await client.GetAsync("/static/nope.js")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:5000")]
    [InlineData("127.0.0.1.evil.example")]
    [InlineData("localhost.evil.example")]
    public async Task A_forged_host_is_refused_before_anything_else(string host)
    {
        var failed = await TrialAsync(t => t.Status == TrialStatus.Failed);
        using var factory = Factory(new DashboardOptions { AllowActions = true });
        var client = factory.CreateClient();
        var csrf = (await GetJsonAsync(client, "/api/session")).GetProperty("csrf").GetString()!;
        foreach (var url in new[] { "/api/studies", "/api/studies/sweep", $"/api/trials/{failed.Id}", "/api/session", "/" })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, url);
            get.Headers.Host = host;
            var response = await client.SendAsync(get);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
            (await response.Content.ReadAsStringAsync()).ShouldNotContain("sweep");
        }
        // DNS rebinding: the attacker's page, its Origin matching its forged Host, tries an action.
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/api/trials/{failed.Id}/cancel");
        post.Headers.Host = host;
        post.Headers.Add("Origin", "http://" + host);
        post.Headers.Add(Csrf.Header, csrf);
        (await client.SendAsync(post)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _store.ListTrialsAsync(new TrialFilter { Ids = [failed.Id] })).Single().Status.ShouldBe(TrialStatus.Failed);
    }

    [Fact]
    public async Task Allowed_hosts_answer_and_a_csrf_value_is_only_good_for_its_own_origin()
    {
        var failed = await TrialAsync(t => t.Status == TrialStatus.Failed);
        using var factory = Factory(new DashboardOptions { AllowActions = true, AllowedHosts = ["lab.example.org"] });
        var client = factory.CreateClient();
        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]", "lab.example.org", "LAB.example.org:8080" })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
            get.Headers.Host = host;
            (await client.SendAsync(get)).StatusCode.ShouldBe(HttpStatusCode.OK, host);
        }
        using var session = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        session.Headers.Host = "lab.example.org";
        var labCsrf = JsonDocument.Parse(await (await client.SendAsync(session)).Content.ReadAsStringAsync()).RootElement.GetProperty("csrf").GetString()!;
        var localCsrf = (await GetJsonAsync(client, "/api/session")).GetProperty("csrf").GetString()!;
        labCsrf.ShouldNotBe(localCsrf);
        using (var wrongOrigin = new HttpRequestMessage(HttpMethod.Post, $"/api/trials/{failed.Id}/retry"))
        {
            wrongOrigin.Headers.Add(Csrf.Header, labCsrf); // read under lab.example.org, sent to localhost
            (await client.SendAsync(wrongOrigin)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        using (var right = new HttpRequestMessage(HttpMethod.Post, $"/api/trials/{failed.Id}/retry"))
        {
            right.Headers.Host = "lab.example.org";
            right.Headers.Add("Origin", "http://lab.example.org");
            right.Headers.Add(Csrf.Header, labCsrf);
            var response = await client.SendAsync(right);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }
        using var any = Factory(new DashboardOptions { AllowedHosts = ["*"] });
        using var anyHost = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
        anyHost.Headers.Host = "whatever.example";
        (await any.CreateClient().SendAsync(anyHost)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_link_loop_in_a_trial_directory_is_listed_and_the_page_answers_at_once()
    {
        var trial = await TrialAsync(t => t.Status == TrialStatus.Completed);
        var directory = TrialDirectories.TrialPath(_store.RunsDirectory, trial.StudyName, trial.Id);
        Directory.CreateSymbolicLink(Path.Combine(directory, "up"), "..");
        Directory.CreateDirectory(Path.Combine(directory, "a", "b"));
        Directory.CreateSymbolicLink(Path.Combine(directory, "a", "b", "loop"), "../..");
        File.CreateSymbolicLink(Path.Combine(directory, "passwd"), "/etc/passwd");
        using var factory = Factory();
        var client = factory.CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var page = await GetJsonAsync(client, $"/api/trials/{trial.Id}");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        var files = page.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("link").GetString());
        files["up"].ShouldBe("..");
        files["a/b/loop"].ShouldBe("../..");
        files["passwd"].ShouldBe("/etc/passwd");
        files.Keys.ShouldNotContain(k => k.StartsWith("up/", StringComparison.Ordinal));
        (await client.GetAsync($"/api/trials/{trial.Id}/files/passwd")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.GetAsync($"/api/trials/{trial.Id}/files/up/up/plot.png")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task No_stored_data_whatsoever_makes_an_endpoint_answer_500()
    {
        var trials = await _store.ListTrialsAsync(new TrialFilter());
        var study = trials[0].StudyId;
        var hostile = new (string Column, object Value)[]
        {
            ("results", "{\"loss\": 1, \"loss\": 2, \"accuracy\": 0.5}"),
            ("results", "{not json"),
            ("results", "[1, 2, 3]"),
            ("results", "{\"loss\": " + new string('[', 5000) + new string(']', 5000) + "}"),
            ("results", "{\"loss\": 1e400, \"accuracy\": \"NaN\", \"x\": -1e400}"),
            ("results", "{\"loss\": \"" + new string('x', 2_000_000) + "\"}"),
            ("params", "{\"lr\": 0.1, \"lr\": 0.2, \"opt\": \"sgd\"}"),
            ("params", "not json"),
            ("params", "[]"),
            ("params", "{\"lr\": {\"a\": {\"b\": 1}}, \"lr.a.b\": 2}"),
            ("provenance", "{\"host\": 1, \"host\": 2, \"argv\": [\"--token\", \"t\"]}"),
            ("provenance", "{{{"),
            ("status", "exploded"),
            ("error", new string('e', 3_000_000)),
            ("duration_ms", -1e300),
            ("duration_ms", 1e308),
            ("exit_code", -2147483648),
            ("host", "\u001b[2J"),
        };
        for (var i = 0; i < hostile.Length && i < trials.Count; i++)
        {
            await ExecuteSqlAsync($"UPDATE trials SET {hostile[i].Column} = @v WHERE id = @id", ("v", hostile[i].Value), ("id", trials[i].Id));
        }
        // What trials used and need, damaged every way a row can be.
        var usages = new[] { "{\"cpus\": \"x\", \"peak_memory_bytes\": \"big\", \"gpus\": [1, {}]}", "{{{", new string('[', 3000) + new string(']', 3000), "{\"peak_memory_bytes\": 1e400, \"cpu_user_seconds\": -1, \"wall_seconds\": 0}" };
        for (var i = 0; i < usages.Length; i++)
        {
            await ExecuteSqlAsync("UPDATE trials SET usage = @v WHERE id = @id", ("v", usages[i]), ("id", trials[i].Id));
        }
        await ExecuteSqlAsync("UPDATE trials SET cpus = -5, memory = -1, gpu_milli = 99999999, memory_limit = -3 WHERE id = @id", ("id", trials[4].Id));
        await ExecuteSqlAsync("UPDATE metric_chunks SET count = 1000000, steps = @b WHERE trial_id = @id", ("b", new byte[] { 1, 2, 3 }), ("id", trials[0].Id));
        await ExecuteSqlAsync("INSERT INTO trial_files (trial_id, path, size, content) VALUES (@id, '../../escaped.txt', 3, @b)", ("id", trials[1].Id), ("b", new byte[] { 65, 66, 67 }));
        await ExecuteSqlAsync("INSERT INTO trial_files (trial_id, path, size, content) VALUES (@id, '/etc/evil', 3, @b)", ("id", trials[2].Id), ("b", new byte[] { 65, 66, 67 }));
        await ExecuteSqlAsync("UPDATE studies SET spec = '{{{', provenance = '{\"a\": 1, \"a\": 2}', description = @d WHERE id = @s", ("d", "\u001b]0;x\u0007"), ("s", long.Parse(study, System.Globalization.CultureInfo.InvariantCulture)));

        using var factory = Factory();
        var client = factory.CreateClient();
        var urls = new List<string> { "/api/studies", "/api/session", "/", "/studies/sweep" };
        foreach (var path in new[] { "", "/best", "/trials", "/trials?sort=loss&desc=true", "/trials?where=loss%20%3E%201", "/trials?q=x", "/summary", "/summary?metric=loss", "/curves?metric=loss", "/curves?metric=loss&mode=trials", "/scatter?metric=loss&param=lr", "/parallel?metric=loss", "/groups?metric=loss&a=lr%20%3D%3D%200.1&b=lr%20%3D%3D%200.01", "/summary?metric=usage.peak_memory_mb", "/trials?sort=-usage.cpu_seconds", "/scatter?metric=usage.cpu_efficiency&param=lr" })
        {
            urls.Add("/api/studies/sweep" + path);
        }
        foreach (var t in trials)
        {
            urls.AddRange([$"/api/trials/{t.Id}", $"/api/trials/{t.Id}/metrics", $"/api/trials/{t.Id}/log/stdout", $"/api/trials/{t.Id}/log/stderr", $"/api/trials/{t.Id}/files/plot.png", $"/api/trials/{t.Id}/files/..%2F..%2Fescaped.txt"]);
        }
        urls.Add("/api/compare?ids=" + string.Join(',', trials.Take(10).Select(t => t.Id)));
        foreach (var url in urls)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var response = await client.GetAsync(url);
            ((int)response.StatusCode).ShouldBeLessThan(500, $"{url}: {await response.Content.ReadAsStringAsync()}");
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), url);
        }
        File.Exists(Path.Combine(Path.GetDirectoryName(_store.RunsDirectory)!, "escaped.txt")).ShouldBeFalse();
    }
}
