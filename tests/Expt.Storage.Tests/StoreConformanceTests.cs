using System.Collections.Concurrent;
using Expt.Trials;

namespace Expt.Storage.Tests;

/// <summary>
/// The behaviour every store backend must have. Each backend gets one sealed subclass; a backend whose server is
/// absent must fail loudly in CI rather than pass silently.
/// </summary>
public abstract class StoreConformanceTests<TFactory> : IAsyncLifetime
    where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected ManualTimeProvider Time { get; } = new();

    protected TFactory Factory { get; } = new();

    protected IExptStore Store { get; private set; } = null!;

    private readonly WorkerIdentity _worker = new("w1", "host-a", 101);
    private readonly WorkerIdentity _other = new("w2", "host-b", 202);

    public async Task InitializeAsync() => Store = await Factory.CreateAsync(Time);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Factory.DisposeAsync();
    }

    private static StudyDefinition Definition(string name = "study-a", params string[] tags) =>
        new(name, "a study", tags, """{"name":"x"}""", "fp1", 42, """{"host":"h"}""");

    private static List<NewTrial> Trials(int count, int maxAttempts = 1, int start = 0) =>
        Enumerable.Range(start, count).Select(i => new NewTrial($"key{i:D5}", i, i % 3, $$"""{"i":{{i}}}""", 1000 + i, maxAttempts)).ToList();

    private async Task<StudyRecord> StudyWithTrialsAsync(int count, int maxAttempts = 1, string name = "study-a")
    {
        var (study, _) = await Store.CreateStudyAsync(Definition(name));
        await Store.EnqueueAsync(study.Id, Trials(count, maxAttempts));
        return study;
    }

    private Task<IReadOnlyList<TrialLease>> ClaimAsync(StudyRecord study, int max, WorkerIdentity? worker = null, TimeSpan? lease = null) =>
        Store.ClaimAsync(new ClaimRequest(worker ?? _worker, max, lease ?? Lease, study.Id));

    private static TrialCompletion Done(TrialLease lease, TrialStatus status = TrialStatus.Completed, string? results = """{"loss":0.5}""") =>
        new(lease, new TrialOutcome(status, TimeSpan.FromMilliseconds(1500), results, status == TrialStatus.Completed ? null : "boom", status == TrialStatus.Completed ? 0 : 1));

    private async Task<TrialRecord> TrialAsync(string id) => (await Store.ListTrialsAsync(new TrialFilter { Ids = [id] })).Single();

    [Fact]
    public async Task Creating_a_study_twice_returns_the_first()
    {
        var (first, created) = await Store.CreateStudyAsync(Definition());
        var (second, createdAgain) = await Store.CreateStudyAsync(Definition() with { Fingerprint = "other" });
        created.ShouldBeTrue();
        createdAgain.ShouldBeFalse();
        second.Id.ShouldBe(first.Id);
        second.Fingerprint.ShouldBe("fp1");
        var found = await Store.GetStudyAsync("study-a");
        found.ShouldNotBeNull();
        found.Tags.ShouldBeEmpty();
        found.Seed.ShouldBe(42);
        found.Created.ShouldBe(Time.GetUtcNow());
        (await Store.GetStudyAsync("missing")).ShouldBeNull();
    }

    [Fact]
    public async Task Enqueueing_is_idempotent_by_key()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition());
        (await Store.EnqueueAsync(study.Id, Trials(100))).ShouldBe(100);
        (await Store.EnqueueAsync(study.Id, Trials(150))).ShouldBe(50);
        (await Store.EnqueueAsync(study.Id, Trials(150))).ShouldBe(0);
        var counts = await Store.CountAsync(study.Id);
        counts[TrialStatus.Pending].ShouldBe(150);
        var trials = await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id });
        trials.Select(t => t.Id).Distinct().Count().ShouldBe(150);
        trials.ShouldAllBe(t => t.Id.Length == 8);
        trials.Select(t => t.Seq).ShouldBe(Enumerable.Range(0, 150).Select(i => (long)i));
    }

    [Fact]
    public async Task Claims_come_in_plan_order_without_overlap_and_write_a_lease()
    {
        var study = await StudyWithTrialsAsync(10, maxAttempts: 2);
        var first = await ClaimAsync(study, 4);
        var second = await ClaimAsync(study, 4, _other);
        first.Select(l => l.Key).ShouldBe(["key00000", "key00001", "key00002", "key00003"]);
        second.Select(l => l.Key).ShouldBe(["key00004", "key00005", "key00006", "key00007"]);
        first[0].Attempt.ShouldBe(1);
        first[0].MaxAttempts.ShouldBe(2);
        first[0].StudyName.ShouldBe("study-a");
        first[0].Seed.ShouldBe(1000);
        first[0].ParamsJson.ShouldBe("""{"i":0}""");
        first[0].Until.ShouldBe(Time.GetUtcNow() + Lease);
        var record = await TrialAsync(first[0].TrialId);
        record.Status.ShouldBe(TrialStatus.Running);
        record.LeaseOwner.ShouldBe("w1");
        record.Host.ShouldBe("host-a");
        record.Pid.ShouldBe(101);
        record.Started.ShouldBe(Time.GetUtcNow());
        (await ClaimAsync(study, 10)).Count.ShouldBe(2);
        (await ClaimAsync(study, 10)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Completion_stores_results_metrics_and_status_together()
    {
        var study = await StudyWithTrialsAsync(1);
        var lease = (await ClaimAsync(study, 1)).Single();
        Time.Advance(TimeSpan.FromSeconds(2));
        var outcome = new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(2), """{"loss":0.25,"acc":0.9}""", null, 0)
        {
            Metrics = [new("loss", 0, 1.0, Time.GetUtcNow()), new("loss", 1, 0.5, Time.GetUtcNow()), new("acc", 0, double.NaN, Time.GetUtcNow())],
        };
        (await Store.CompleteAsync([new TrialCompletion(lease, outcome)])).ShouldBe([true]);
        var trial = await TrialAsync(lease.TrialId);
        trial.Status.ShouldBe(TrialStatus.Completed);
        trial.ResultsJson.ShouldBe("""{"loss":0.25,"acc":0.9}""");
        trial.Duration.ShouldBe(TimeSpan.FromSeconds(2));
        trial.Finished.ShouldBe(Time.GetUtcNow());
        trial.ExitCode.ShouldBe(0);
        trial.LeaseOwner.ShouldBeNull();
        var metrics = await Store.GetMetricsAsync(lease.TrialId);
        metrics.Select(m => (m.Name, m.Step)).ShouldBe([("acc", 0L), ("loss", 0L), ("loss", 1L)]);
        metrics[0].Value.ShouldBe(double.NaN);
        metrics[2].Value.ShouldBe(0.5);
    }

    [Fact]
    public async Task Metrics_stream_in_batches_while_the_lease_is_held()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 2);
        var lease = (await ClaimAsync(study, 1)).Single();
        var many = Enumerable.Range(0, 20_000).Select(i => new MetricPoint("loss", i, 1.0 / (i + 1), Time.GetUtcNow())).ToList();
        (await Store.AppendMetricsAsync(lease, many)).ShouldBeTrue();
        (await Store.AppendMetricsAsync(lease, [new MetricPoint("acc", 0, 0.5, Time.GetUtcNow())])).ShouldBeTrue();
        await Store.CompleteAsync([new TrialCompletion(lease, new TrialOutcome(TrialStatus.Completed, TimeSpan.Zero) { Metrics = [new("loss", 20_000, 0.0, Time.GetUtcNow())] })]);
        var stored = await Store.GetMetricsAsync(lease.TrialId);
        stored.Count.ShouldBe(20_002);
        stored.Where(m => m.Name == "loss").Select(m => m.Step).ShouldBe(Enumerable.Range(0, 20_001).Select(i => (long)i));
        stored.Single(m => m.Name == "acc").Value.ShouldBe(0.5);
        (await Store.AppendMetricsAsync(lease, many)).ShouldBeFalse(); // the lease is gone with the completion
    }

    [Fact]
    public async Task A_retried_attempt_starts_without_the_metrics_of_the_failed_one()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 2);
        var first = (await ClaimAsync(study, 1)).Single();
        await Store.AppendMetricsAsync(first, [new MetricPoint("loss", 0, 9, Time.GetUtcNow())]);
        await Store.CompleteAsync([Done(first, TrialStatus.Failed)]);
        var second = (await ClaimAsync(study, 1)).Single();
        (await Store.GetMetricsAsync(second.TrialId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_stale_token_cannot_complete_a_trial_twice()
    {
        var study = await StudyWithTrialsAsync(1);
        var lease = (await ClaimAsync(study, 1)).Single();
        (await Store.CompleteAsync([Done(lease)])).ShouldBe([true]);
        (await Store.CompleteAsync([Done(lease, TrialStatus.Failed)])).ShouldBe([false]);
        (await Store.CompleteAsync([Done(lease with { Token = lease.Token + 1 })])).ShouldBe([false]);
        (await TrialAsync(lease.TrialId)).Status.ShouldBe(TrialStatus.Completed);
    }

    [Fact]
    public async Task Failures_are_retried_until_attempts_run_out()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 2);
        var first = (await ClaimAsync(study, 1)).Single();
        (await Store.CompleteAsync([Done(first, TrialStatus.Failed)])).ShouldBe([true]);
        (await TrialAsync(first.TrialId)).Status.ShouldBe(TrialStatus.Pending);
        var second = (await ClaimAsync(study, 1)).Single();
        second.TrialId.ShouldBe(first.TrialId);
        second.Attempt.ShouldBe(2);
        (await Store.CompleteAsync([Done(second, TrialStatus.Timeout)])).ShouldBe([true]);
        var trial = await TrialAsync(first.TrialId);
        trial.Status.ShouldBe(TrialStatus.Timeout);
        trial.Attempts.ShouldBe(2);
        trial.Error.ShouldBe("boom");
        (await ClaimAsync(study, 1)).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_expired_lease_returns_the_trial_and_fences_out_its_old_worker()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 3);
        var lost = (await ClaimAsync(study, 1, lease: TimeSpan.FromSeconds(10))).Single();
        Time.Advance(TimeSpan.FromSeconds(5));
        (await ClaimAsync(study, 1, _other)).ShouldBeEmpty();
        Time.Advance(TimeSpan.FromSeconds(6));
        var taken = (await ClaimAsync(study, 1, _other)).Single();
        taken.TrialId.ShouldBe(lost.TrialId);
        taken.Attempt.ShouldBe(1); // an interrupted attempt does not use up one
        (await Store.HeartbeatAsync([lost], Lease)).ShouldBe([lost.TrialId]);
        (await Store.CompleteAsync([Done(lost)])).ShouldBe([false]);
        (await Store.CompleteAsync([Done(taken)])).ShouldBe([true]);
        var trial = await TrialAsync(lost.TrialId);
        trial.Status.ShouldBe(TrialStatus.Completed);
        trial.Host.ShouldBe("host-b");
        trial.Interruptions.ShouldBe(0); // cleared by an attempt that ran to its end
        System.Text.Json.JsonDocument.Parse(trial.History!).RootElement.EnumerateArray().Single().GetProperty("event").GetString().ShouldBe("interrupted");
    }

    [Fact]
    public async Task An_expired_lease_on_the_last_attempt_goes_back_without_using_it_up()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 1);
        var lease = (await ClaimAsync(study, 1, lease: TimeSpan.FromSeconds(10))).Single();
        Time.Advance(TimeSpan.FromSeconds(11));
        var again = (await ClaimAsync(study, 1, _other)).Single();
        again.Attempt.ShouldBe(1);
        var trial = await TrialAsync(lease.TrialId);
        trial.Status.ShouldBe(TrialStatus.Running);
        trial.Interruptions.ShouldBe(1);
        trial.Error.ShouldBe(AttemptPolicy.LeaseExpired);
    }

    [Fact]
    public async Task A_trial_interrupted_too_often_fails_instead_of_looping()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 5);
        for (var round = 1; round <= AttemptPolicy.MaxInterruptions; round++)
        {
            var lease = (await ClaimAsync(study, 1, lease: TimeSpan.FromSeconds(10))).Single();
            lease.Attempt.ShouldBe(1);
            (await Store.InterruptAsync([_worker.Id], AttemptPolicy.RunnerDied("host-a", 101))).ShouldBe(1);
        }
        (await ClaimAsync(study, 1)).ShouldBeEmpty();
        var trial = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id })).Single();
        trial.Status.ShouldBe(TrialStatus.Failed);
        trial.Error.ShouldBe(AttemptPolicy.TooManyInterruptions);
        trial.Interruptions.ShouldBe(AttemptPolicy.MaxInterruptions);
        System.Text.Json.JsonDocument.Parse(trial.History!).RootElement.GetArrayLength().ShouldBe(AttemptPolicy.MaxInterruptions);
        (await Store.ResetAsync(study.Id, [TrialStatus.Failed])).ShouldBe(1);
        (await TrialAsync(trial.Id)).Interruptions.ShouldBe(0);
    }

    [Fact]
    public async Task A_dead_runners_trials_come_back_at_once_and_others_stay()
    {
        var study = await StudyWithTrialsAsync(4, maxAttempts: 1);
        var mine = await ClaimAsync(study, 2);
        var theirs = await ClaimAsync(study, 1, _other);
        (await Store.InterruptAsync(["nobody"], "x")).ShouldBe(0);
        (await Store.InterruptAsync([_worker.Id], AttemptPolicy.RunnerDied("host-a", 101))).ShouldBe(2);
        foreach (var lease in mine)
        {
            var trial = await TrialAsync(lease.TrialId);
            trial.Status.ShouldBe(TrialStatus.Pending);
            trial.Attempts.ShouldBe(0);
            trial.Error.ShouldBe("interrupted: its runner (pid 101 on host-a) died");
            (await Store.CompleteAsync([Done(lease)])).ShouldBe([false]); // the dead runner's lease is gone
        }
        (await TrialAsync(theirs[0].TrialId)).Status.ShouldBe(TrialStatus.Running);
        (await ClaimAsync(study, 10, _other)).Select(l => l.Attempt).ShouldBe([1, 1, 1]);
    }

    [Fact]
    public async Task A_listing_can_take_just_the_start_of_large_results()
    {
        var study = await StudyWithTrialsAsync(1);
        var lease = (await ClaimAsync(study, 1)).Single();
        var big = "{\"a\": 1, \"b\": \"" + new string('x', 100_000) + "\"}";
        (await Store.CompleteAsync([Done(lease, results: big)])).ShouldBe([true]);
        var preview = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, PreviewChars = 100 })).Single();
        preview.ResultsJson!.Length.ShouldBe(100);
        Expt.Analysis.ResultValues.Parse(preview.ResultsJson)[0].ShouldBe(new KeyValuePair<string, object?>("a", 1L));
        (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id })).Single().ResultsJson.ShouldBe(big);
    }

    [Fact]
    public async Task A_retried_failure_is_kept_in_the_history()
    {
        var study = await StudyWithTrialsAsync(1, maxAttempts: 2);
        var first = (await ClaimAsync(study, 1)).Single();
        (await Store.CompleteAsync([Done(first, TrialStatus.Failed)])).ShouldBe([true]);
        var trial = await TrialAsync(first.TrialId);
        trial.Status.ShouldBe(TrialStatus.Pending);
        var entry = System.Text.Json.JsonDocument.Parse(trial.History!).RootElement.EnumerateArray().Single();
        entry.GetProperty("event").GetString().ShouldBe("failed");
        entry.GetProperty("attempt").GetInt32().ShouldBe(1);
        entry.GetProperty("reason").GetString().ShouldBe("boom");
        entry.GetProperty("time").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive()
    {
        var study = await StudyWithTrialsAsync(1);
        var lease = (await ClaimAsync(study, 1, lease: TimeSpan.FromSeconds(10))).Single();
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(8));
            (await Store.HeartbeatAsync([lease], TimeSpan.FromSeconds(10))).ShouldBeEmpty();
            (await ClaimAsync(study, 1, _other)).ShouldBeEmpty();
        }
        (await Store.CompleteAsync([Done(lease)])).ShouldBe([true]);
    }

    [Fact]
    public async Task Released_trials_go_back_to_the_queue_or_are_cancelled()
    {
        var study = await StudyWithTrialsAsync(2);
        var leases = await ClaimAsync(study, 2);
        (await Store.ReleaseAsync([leases[0]], ReleaseMode.Requeue)).ShouldBe(1);
        (await Store.ReleaseAsync([leases[1]], ReleaseMode.Cancel)).ShouldBe(1);
        (await Store.ReleaseAsync([leases[0], leases[1]], ReleaseMode.Requeue)).ShouldBe(0, "released leases are no longer held");
        var requeued = await TrialAsync(leases[0].TrialId);
        requeued.Status.ShouldBe(TrialStatus.Pending);
        requeued.Attempts.ShouldBe(0);
        (await TrialAsync(leases[1].TrialId)).Status.ShouldBe(TrialStatus.Cancelled);
        (await ClaimAsync(study, 5)).Single().TrialId.ShouldBe(leases[0].TrialId);
        (await Store.CompleteAsync([Done(leases[1])])).ShouldBe([false]);
    }

    [Fact]
    public async Task Reset_returns_chosen_statuses_to_pending_in_place()
    {
        var study = await StudyWithTrialsAsync(3);
        var leases = await ClaimAsync(study, 3);
        var failed = leases[0] with { };
        await Store.CompleteAsync([
            new TrialCompletion(leases[0], new TrialOutcome(TrialStatus.Failed, TimeSpan.Zero, null, "x") { Metrics = [new("m", 0, 1, Time.GetUtcNow())] }),
            Done(leases[1], TrialStatus.Timeout),
            Done(leases[2]),
        ]);
        (await Store.ResetAsync(study.Id, [TrialStatus.Failed])).ShouldBe(1);
        var trial = await TrialAsync(failed.TrialId);
        trial.Status.ShouldBe(TrialStatus.Pending);
        trial.Attempts.ShouldBe(0);
        trial.Error.ShouldBeNull();
        (await Store.GetMetricsAsync(failed.TrialId)).ShouldBeEmpty();
        (await TrialAsync(leases[1].TrialId)).Status.ShouldBe(TrialStatus.Timeout);
        (await Store.ResetAsync(study.Id, [TrialStatus.Timeout, TrialStatus.Completed], [leases[2].TrialId])).ShouldBe(1);
        (await TrialAsync(leases[2].TrialId)).Status.ShouldBe(TrialStatus.Pending);
    }

    [Fact]
    public async Task Cancel_stops_pending_and_running_trials()
    {
        var study = await StudyWithTrialsAsync(3);
        var running = (await ClaimAsync(study, 1)).Single();
        (await Store.CancelAsync(study.Id)).ShouldBe(3);
        (await Store.HeartbeatAsync([running], Lease)).ShouldBe([running.TrialId]);
        (await Store.CompleteAsync([Done(running)])).ShouldBe([false]);
        (await Store.CountAsync(study.Id))[TrialStatus.Cancelled].ShouldBe(3);
        (await ClaimAsync(study, 3)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Withdraw_cancels_only_pending_trials_with_its_reason_and_reset_brings_them_back()
    {
        var study = await StudyWithTrialsAsync(4);
        var running = (await ClaimAsync(study, 1)).Single();
        var all = await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id });
        var pending = all.Where(t => t.Id != running.TrialId).Select(t => t.Id).ToList();
        (await Store.WithdrawAsync(study.Id, [running.TrialId, pending[0], pending[1]])).ShouldBe(2);
        (await TrialAsync(running.TrialId)).Status.ShouldBe(TrialStatus.Running);
        var withdrawn = await TrialAsync(pending[0]);
        withdrawn.Status.ShouldBe(TrialStatus.Cancelled);
        withdrawn.Error.ShouldBe(TrialRows.WithdrawnError);
        CancelReasons.Of(withdrawn).ShouldBe(CancelReason.Withdrawn);
        (await TrialAsync(pending[2])).Status.ShouldBe(TrialStatus.Pending);
        var claimed = await ClaimAsync(study, 10);
        claimed.Select(l => l.TrialId).ShouldBe([pending[2]]);
        (await Store.WithdrawAsync(study.Id, [])).ShouldBe(0);

        (await Store.ResetAsync(study.Id, [TrialStatus.Cancelled], [pending[0]])).ShouldBe(1);
        (await TrialAsync(pending[0])).Status.ShouldBe(TrialStatus.Pending);
        (await TrialAsync(pending[0])).Error.ShouldBeNull();
        (await TrialAsync(pending[1])).Status.ShouldBe(TrialStatus.Cancelled);
    }

    [Fact]
    public async Task Queries_filter_page_and_find_by_prefix()
    {
        var a = await StudyWithTrialsAsync(5);
        var (b, _) = await Store.CreateStudyAsync(Definition("study-b", "tagged"));
        await Store.EnqueueAsync(b.Id, Trials(3));
        var lease = (await ClaimAsync(a, 1)).Single();
        await Store.CompleteAsync([Done(lease)]);

        (await Store.ListTrialsAsync(new TrialFilter())).Count.ShouldBe(8);
        (await Store.ListTrialsAsync(new TrialFilter { StudyId = b.Id })).ShouldAllBe(t => t.StudyName == "study-b");
        (await Store.ListTrialsAsync(new TrialFilter { Tag = "tagged" })).Count.ShouldBe(3);
        (await Store.ListTrialsAsync(new TrialFilter { Statuses = [TrialStatus.Completed] })).Single().Id.ShouldBe(lease.TrialId);
        var page = await Store.ListTrialsAsync(new TrialFilter { StudyId = a.Id, Limit = 2, Offset = 1 });
        page.Select(t => t.Seq).ShouldBe([1L, 2L]);
        (await Store.FindTrialsAsync(lease.TrialId[..6])).ShouldContain(t => t.Id == lease.TrialId);
        (await Store.FindTrialsAsync(lease.TrialId.ToUpperInvariant())).Single().Id.ShouldBe(lease.TrialId);
        (await Store.FindTrialsAsync("zzzz")).ShouldBeEmpty();

        var studies = await Store.ListStudiesAsync();
        studies.Select(s => s.Study.Name).ShouldBe(["study-a", "study-b"]);
        studies[0].Count(TrialStatus.Completed).ShouldBe(1);
        studies[0].Count(TrialStatus.Pending).ShouldBe(4);
        studies[0].Total.ShouldBe(5);
        studies[1].Study.Tags.ShouldBe(["tagged"]);
    }

    [Fact]
    public async Task Deleting_removes_trials_and_metrics()
    {
        var study = await StudyWithTrialsAsync(4);
        var leases = await ClaimAsync(study, 1);
        await Store.CompleteAsync([new TrialCompletion(leases[0], new TrialOutcome(TrialStatus.Completed, TimeSpan.Zero) { Metrics = [new("m", 0, 1, Time.GetUtcNow())] })]);
        var others = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, Statuses = [TrialStatus.Pending] })).Take(2).Select(t => t.Id).ToList();
        (await Store.DeleteTrialsAsync(others)).ShouldBe(2);
        (await Store.CountAsync(study.Id)).Values.Sum().ShouldBe(2);
        await Store.DeleteStudyAsync(study.Id);
        (await Store.GetStudyAsync("study-a")).ShouldBeNull();
        (await Store.GetMetricsAsync(leases[0].TrialId)).ShouldBeEmpty();
        (await Store.ListTrialsAsync(new TrialFilter())).ShouldBeEmpty();
    }

    [Fact]
    public async Task Concurrent_claimers_on_separate_connections_never_share_a_trial()
    {
        var study = await StudyWithTrialsAsync(400);
        var stores = new List<IExptStore>();
        for (var i = 0; i < 4; i++)
        {
            stores.Add(await Factory.OpenAnotherAsync(Time));
        }
        var claimed = new ConcurrentBag<string>();
        await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
        {
            var worker = new WorkerIdentity($"c{i}", "h", i);
            while (true)
            {
                var leases = await store.ClaimAsync(new ClaimRequest(worker, 7, Lease, study.Id));
                if (leases.Count == 0)
                {
                    return;
                }
                foreach (var lease in leases)
                {
                    claimed.Add(lease.TrialId);
                }
                (await store.CompleteAsync(leases.Select(l => Done(l)).ToList())).ShouldAllBe(ok => ok);
            }
        })));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        claimed.Count.ShouldBe(400);
        claimed.Distinct().Count().ShouldBe(400);
        (await Store.CountAsync(study.Id))[TrialStatus.Completed].ShouldBe(400);
    }

    [Fact]
    public async Task Adaptive_decisions_are_taken_once_whoever_asks_and_are_kept()
    {
        var spec = Spec.StudySpecBinder.Bind(Spec.YamlConfigReader.Parse(
            "name: race\nparams: {x: [1, 2, 3]}\nobjectives: {loss: minimize}\nrace: {min_replications: 3, max_replications: 4}\n", "t.yaml"),
            new Spec.BindOptions { DefaultExperiment = "t" });
        var (study, _) = await Store.CreateStudyAsync(new StudyDefinition(spec.Name, null, [], spec.ToJson(), spec.Fingerprint, spec.Seed, null));
        await Store.EnqueueAsync(study.Id, TrialPlan.Create(spec).Select(t => new NewTrial(t.Key, t.Seq, t.Replicate, t.Params.ToFlatJson(), t.Seed, 1)).ToList());
        var rules = Adaptive.AdaptiveRules.For(study)!;
        (await Store.AdvanceAsync(study.Id, rules)).IsEmpty.ShouldBeTrue(); // nothing has answered yet

        // x = 1 and x = 2 tie; x = 3 is worse in every replicate.
        var leases = await ClaimAsync(study, 100);
        leases.Count.ShouldBe(9);
        var byId = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id })).ToDictionary(t => t.Id);
        (await Store.CompleteAsync(leases.Select(l =>
        {
            var t = byId[l.TrialId];
            var loss = (t.ParamsJson == """{"x":3}""" ? 5 : 0) + (t.Replicate * 0.01);
            return Done(l, results: "{\"loss\":" + loss.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}");
        }).ToList())).ShouldAllBe(ok => ok);

        // Four workers ask at once: one of them decides, the others find nothing left to decide.
        var stores = new List<IExptStore>();
        for (var i = 0; i < 4; i++)
        {
            stores.Add(await Factory.OpenAnotherAsync(Time));
        }
        var steps = await Task.WhenAll(stores.Select(store => Task.Run(() => store.AdvanceAsync(study.Id, rules))));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        var step = steps.Single(s => !s.IsEmpty);
        step.Decisions.Single().State.ShouldBe(Adaptive.PointState.Eliminated);
        step.NewTrials.Select(t => (t.Replicate, t.ParamsJson)).ShouldBe([(3, """{"x":1}"""), (3, """{"x":2}""")], ignoreOrder: true);
        var trials = await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id });
        trials.Count.ShouldBe(11);
        trials.Where(t => t.Replicate == 3).ShouldAllBe(t => t.Status == TrialStatus.Pending && t.Seed == TrialIdentity.Seed(spec.Seed, t.Key));
        var stored = (await Store.GetPointDecisionsAsync(study.Id)).Single();
        stored.ShouldBe(step.Decisions.Single() with { Decided = stored.Decided });
        stored.PValue.ShouldBe(0);
        stored.Reason.ShouldContain("worse than x=1 on loss over 3 replicates");
        (await Store.AdvanceAsync(study.Id, rules)).IsEmpty.ShouldBeTrue();

        // The last round: both reach max_replications tied; the race ends with two survivors and nothing more to run.
        var last = await ClaimAsync(study, 100);
        (await Store.CompleteAsync(last.Select(l => Done(l, results: """{"loss":0}""")).ToList())).ShouldAllBe(ok => ok);
        var end = await Store.AdvanceAsync(study.Id, rules);
        end.NewTrials.ShouldBeEmpty();
        end.Decisions.Select(d => (d.State, d.Round)).ShouldBe([(Adaptive.PointState.Survivor, 4), (Adaptive.PointState.Survivor, 4)]);
        (await Store.GetPointDecisionsAsync(study.Id)).Count.ShouldBe(3);

        await Store.DeleteStudyAsync(study.Id);
        (await Store.GetPointDecisionsAsync(study.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Concurrent_fillers_create_each_trial_once()
    {
        var stores = new List<IExptStore>();
        for (var i = 0; i < 4; i++)
        {
            stores.Add(await Factory.OpenAnotherAsync(Time));
        }
        await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            var (study, _) = await store.CreateStudyAsync(Definition());
            await store.EnqueueAsync(study.Id, Trials(500));
        })));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        var created = await Store.GetStudyAsync("study-a");
        (await Store.CountAsync(created!.Id))[TrialStatus.Pending].ShouldBe(500);
        (await Store.ListStudiesAsync()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Files_are_stored_with_the_outcome_and_dropped_with_a_retried_attempt()
    {
        var study = await StudyWithTrialsAsync(2, maxAttempts: 2);
        var leases = await ClaimAsync(study, 2);
        var log = new TrialFile("stdout.log", "hello\n"u8.ToArray());
        var image = new TrialFile("artifacts/plot.png", new byte[] { 0x89, 0x50, 0x4E, 0x47 });
        await Store.CompleteAsync([
            new TrialCompletion(leases[0], new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(1)) { Files = [log, image] }),
            new TrialCompletion(leases[1], new TrialOutcome(TrialStatus.Failed, TimeSpan.FromSeconds(1), Error: "boom") { Files = [log] }),
        ]);
        var files = await Store.ListFilesAsync(leases[0].TrialId);
        files.Select(f => (f.Path, f.Size)).ShouldBe([("artifacts/plot.png", 4L), ("stdout.log", 6L)]);
        (await Store.ReadFileAsync(leases[0].TrialId, "stdout.log"))!.ShouldBe("hello\n"u8.ToArray());
        (await Store.ReadFileAsync(leases[0].TrialId, "missing.txt")).ShouldBeNull();
        // The failed attempt goes back to pending: its files are not kept.
        (await Store.ListFilesAsync(leases[1].TrialId)).ShouldBeEmpty();
        await Store.DeleteTrialsAsync([leases[0].TrialId]);
        (await Store.ListFilesAsync(leases[0].TrialId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Requeued_trials_lose_what_their_attempt_streamed_and_run_again_as_the_same_attempt()
    {
        var study = await StudyWithTrialsAsync(1);
        var lease = (await ClaimAsync(study, 1)).Single();
        (await Store.AppendMetricsAsync(lease, [new MetricPoint("loss", 1, 0.5, Time.GetUtcNow())])).ShouldBeTrue();
        await Store.ReleaseAsync([lease], ReleaseMode.Requeue);
        var again = (await ClaimAsync(study, 1, _other)).Single();
        again.Attempt.ShouldBe(1);
        (await Store.GetMetricsAsync(again.TrialId)).ShouldBeEmpty();
        // The old lease can do nothing any more.
        (await Store.AppendMetricsAsync(lease, [new MetricPoint("loss", 2, 0.4, Time.GetUtcNow())])).ShouldBeFalse();
        (await Store.CompleteAsync([Done(lease)])).ShouldBe([false]);
        (await Store.CompleteAsync([Done(again)])).ShouldBe([true]);
    }

    [Fact]
    public async Task Progress_shows_counts_recent_finishes_and_running_leases_with_heartbeats()
    {
        var study = await StudyWithTrialsAsync(5);
        var start = Time.GetUtcNow();
        var leases = await ClaimAsync(study, 3);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Store.HeartbeatAsync([leases[1], leases[2]], Lease);
        await Store.CompleteAsync([Done(leases[0])]);
        var progress = await Store.GetProgressAsync(study.Id, start);
        progress.Counts[TrialStatus.Completed].ShouldBe(1);
        progress.Counts[TrialStatus.Running].ShouldBe(2);
        progress.Counts[TrialStatus.Pending].ShouldBe(2);
        progress.FinishedSince.ShouldBe(1);
        progress.Running.Select(t => t.Id).ShouldBe([leases[1].TrialId, leases[2].TrialId], ignoreOrder: true);
        progress.Running.ShouldAllBe(t => t.Host == "host-a" && t.Pid == 101 && t.LeaseOwner == "w1");
        var heartbeat = progress.Running[0].Heartbeat!.Value;
        Math.Abs((heartbeat - start - TimeSpan.FromSeconds(5)).TotalSeconds).ShouldBeLessThan(1);
        (await Store.GetProgressAsync(study.Id, Time.GetUtcNow() + TimeSpan.FromMinutes(1))).FinishedSince.ShouldBe(0);
    }

    [Fact]
    public async Task Whether_a_study_has_running_trials_is_answered_for_that_study_alone()
    {
        var busy = await StudyWithTrialsAsync(2, name: "busy");
        var quiet = await StudyWithTrialsAsync(1, name: "quiet");
        (await Store.HasRunningTrialsAsync(busy.Id)).ShouldBeFalse();
        var leases = await ClaimAsync(busy, 2);
        (await Store.HasRunningTrialsAsync(busy.Id)).ShouldBeTrue();
        (await Store.HasRunningTrialsAsync(quiet.Id)).ShouldBeFalse();
        await Store.CompleteAsync([Done(leases[0])]);
        (await Store.HasRunningTrialsAsync(busy.Id)).ShouldBeTrue();
        await Store.CompleteAsync([Done(leases[1], TrialStatus.Failed)]);
        (await Store.HasRunningTrialsAsync(busy.Id)).ShouldBeFalse();
    }

    [Fact]
    public async Task Waiting_for_work_returns_at_the_latest_after_the_timeout()
    {
        var wait = Store.WaitForWorkAsync(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 100 && !wait.IsCompleted; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        wait.IsCompleted.ShouldBeTrue();
        using var cancelled = new CancellationTokenSource();
        var waiting = Store.WaitForWorkAsync(TimeSpan.FromHours(1), cancelled.Token);
        await cancelled.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_claim_for_any_study_takes_the_oldest_study_first_then_the_next()
    {
        var older = await StudyWithTrialsAsync(3, name: "older");
        Time.Advance(TimeSpan.FromSeconds(1));
        var newer = await StudyWithTrialsAsync(3, name: "newer");
        var first = await Store.ClaimAsync(new ClaimRequest(_worker, 2, Lease));
        first.Select(l => (l.StudyName, l.Key)).ShouldBe([("older", "key00000"), ("older", "key00001")]);
        var next = await Store.ClaimAsync(new ClaimRequest(_worker, 3, Lease));
        next.Select(l => (l.StudyName, l.Key)).ShouldBe([("older", "key00002"), ("newer", "key00000"), ("newer", "key00001")]);
        next.ShouldAllBe(l => l.StudyId == (l.StudyName == "older" ? older.Id : newer.Id));
    }

    [Fact]
    public async Task Events_are_kept_with_their_study_in_order_and_go_with_it()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition());
        var (other, _) = await Store.CreateStudyAsync(Definition("study-b"));
        await Store.AddStudyEventAsync(study.Id, "slurm.submit", """{"job":"7"}""");
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.AddStudyEventAsync(study.Id, "note", """{"text":"hi"}""");
        await Store.AddStudyEventAsync(study.Id, "slurm.submit", """{"job":"9"}""");
        await Store.AddStudyEventAsync(other.Id, "slurm.submit", """{"job":"11"}""");
        (await Store.GetStudyEventsAsync(study.Id, "slurm.submit")).Select(e => e.DataJson).ShouldBe(["""{"job":"7"}""", """{"job":"9"}"""]);
        var all = await Store.GetStudyEventsAsync(study.Id);
        all.Select(e => e.Kind).ShouldBe(["slurm.submit", "note", "slurm.submit"]);
        (all[1].Time - all[0].Time).ShouldBe(TimeSpan.FromSeconds(1));
        await Store.DeleteStudyAsync(study.Id);
        (await Store.GetStudyEventsAsync(study.Id)).ShouldBeEmpty();
        (await Store.GetStudyEventsAsync(other.Id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trials_keep_a_name_their_own_tags_and_a_note_and_tag_filters_match_trial_or_study_tags()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition("named", "paper"));
        await Store.EnqueueAsync(study.Id, Trials(3).Select(t => t with { Name = "point-" + t.Key }).ToList());
        var trials = await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id });
        trials.Select(t => t.Name).ShouldBe(["point-key00000", "point-key00001", "point-key00002"]);
        trials.ShouldAllBe(t => t.Tags.Count == 0 && t.Note == null);

        (await Store.TagTrialsAsync([trials[0].Id, trials[1].Id, "ffffffff"], ["best", "old"], [])).ShouldBe(2);
        (await Store.TagTrialsAsync([trials[1].Id], ["zeta"], ["old"])).ShouldBe(1);
        (await TrialAsync(trials[0].Id)).Tags.ShouldBe(["best", "old"]);
        (await TrialAsync(trials[1].Id)).Tags.ShouldBe(["best", "zeta"]);
        (await Store.NoteTrialsAsync([trials[2].Id], "diverged at step 40")).ShouldBe(1);
        (await TrialAsync(trials[2].Id)).Note.ShouldBe("diverged at step 40");
        (await Store.NoteTrialsAsync([trials[2].Id], null)).ShouldBe(1);
        (await TrialAsync(trials[2].Id)).Note.ShouldBeNull();

        (await Store.ListTrialsAsync(new TrialFilter { Tag = "best" })).Select(t => t.Id).ShouldBe([trials[0].Id, trials[1].Id]);
        (await Store.ListTrialsAsync(new TrialFilter { Tag = "paper" })).Count.ShouldBe(3);
        (await Store.ListTrialsAsync(new TrialFilter { Tag = "none" })).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_trial_adds_tags_and_a_note_with_its_outcome_and_an_mpi_rank_records_where_it_ran()
    {
        var study = await StudyWithTrialsAsync(2, maxAttempts: 2);
        var leases = await ClaimAsync(study, 2);
        await Store.TagTrialsAsync([leases[0].TrialId], ["manual"], []);
        var tagged = new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(1), "{}") { Tags = ["b", "a", "a"], Note = "from the trial", Place = new TrialPlace("node7", 4242, 3) };
        var retried = new TrialOutcome(TrialStatus.Failed, TimeSpan.FromSeconds(1), null, "boom", 1) { Tags = ["lost"], Note = "lost too" };
        (await Store.CompleteAsync([new TrialCompletion(leases[0], tagged), new TrialCompletion(leases[1], retried)])).ShouldBe([true, true]);
        var first = await TrialAsync(leases[0].TrialId);
        first.Tags.ShouldBe(["a", "b", "manual"]);
        first.Note.ShouldBe("from the trial");
        (first.Host, first.Pid, first.Rank).ShouldBe(("node7", 4242, 3));
        var second = await TrialAsync(leases[1].TrialId);
        second.Tags.ShouldBeEmpty("an attempt that will be retried leaves no tags");
        second.Note.ShouldBeNull();
        second.Host.ShouldBe("host-a");
        second.Rank.ShouldBeNull();
    }

    [Fact]
    public async Task Runs_are_stored_once_per_provenance_and_claims_link_trials_to_them()
    {
        (await Store.RecordRunAsync("run00000000001", """{"git":{"commit":"abc"}}""")).ShouldBeTrue();
        (await Store.RecordRunAsync("run00000000001", """{"git":{"commit":"abc"}}""")).ShouldBeFalse();
        (await Store.GetRunAsync("run00000000001")).ShouldBe("""{"git":{"commit":"abc"}}""");
        (await Store.GetRunAsync("nope")).ShouldBeNull();
        var study = await StudyWithTrialsAsync(3);
        var leases = await Store.ClaimAsync(new ClaimRequest(_worker, 1, Lease, study.Id) { RunId = "run00000000001" });
        (await TrialAsync(leases[0].TrialId)).RunId.ShouldBe("run00000000001");
        (await TrialAsync((await Store.ClaimAsync(new ClaimRequest(_worker, 1, Lease, study.Id))).Single().TrialId)).RunId.ShouldBeNull();
    }

    [Fact]
    public async Task A_claim_can_be_limited_to_chosen_trials()
    {
        var study = await StudyWithTrialsAsync(6);
        var all = await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id });
        var chosen = new[] { all[4].Id, all[1].Id, "ffffffff" };
        var leases = await Store.ClaimAsync(new ClaimRequest(_worker, 10, Lease, study.Id) { Ids = chosen });
        leases.Select(l => l.TrialId).ShouldBe([all[1].Id, all[4].Id]);
        (await Store.ClaimAsync(new ClaimRequest(_worker, 10, Lease, study.Id) { Ids = chosen })).ShouldBeEmpty();
        (await Store.ClaimAsync(new ClaimRequest(_worker, 10, Lease, study.Id) { Ids = [] })).ShouldBeEmpty();
        (await ClaimAsync(study, 10)).Count.ShouldBe(4);
    }

    [Fact]
    public async Task A_study_spec_can_be_updated_in_place()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition("spec"));
        await Store.UpdateStudySpecAsync(study.Id, """{"name":"x","objectives":{"loss":"minimize"}}""", "new words", ["t1"]);
        var found = (await Store.GetStudyAsync("spec"))!;
        found.SpecJson.ShouldBe("""{"name":"x","objectives":{"loss":"minimize"}}""");
        found.Description.ShouldBe("new words");
        found.Tags.ShouldBe(["t1"]);
        found.Fingerprint.ShouldBe("fp1");
    }

    [Fact]
    public async Task Claims_with_a_budget_take_only_trials_that_fit_in_priority_order_and_record_needs_and_usage()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition("res"));
        NewTrial Trial(int i, Resources.TrialNeeds needs, int priority = 0) => new($"k{i}", i, 0, $$"""{"i":{{i}}}""", i, 1, priority) { Needs = needs };
        await Store.EnqueueAsync(study.Id,
        [
            Trial(0, new(1, 1L << 30, 1000)),
            Trial(1, new(4, 1L << 30, 0)),          // more cores than are free now
            Trial(2, new(1, 1L << 30, 500, 2L << 30)),
            Trial(3, new(1, 64L << 30, 0)),         // more memory than the worker has at all: never looked at
            Trial(4, new(1, 0, 500), priority: 5),  // first, by priority
            Trial(5, new(1, 0, 1000)),
            Trial(6, Resources.TrialNeeds.None),
        ]);
        var all = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id })).ToDictionary(t => t.Key);
        all["k2"].Needs.ShouldBe(new Resources.TrialNeeds(1, 1L << 30, 500, 2L << 30));
        all["k6"].Needs.IsNone.ShouldBeTrue();

        // 3 cores, 8 GiB, two GPUs: k4 (half of one), k0 (a whole one), k2 (the other half of the first); k1 does not
        // fit now, k5 finds no whole GPU left, k6 needs nothing.
        var total = new Resources.TrialNeeds(4, 8L << 30, 2000);
        var budget = new Resources.ResourceBudget(3, 8L << 30, [1000, 1000], total);
        var leases = await Store.ClaimAsync(new ClaimRequest(_worker, 10, Lease, study.Id) { Budget = budget });
        leases.Select(l => l.Key).Order().ShouldBe(["k0", "k2", "k4", "k6"]);
        leases.Single(l => l.Key == "k2").Needs.ShouldBe(new Resources.TrialNeeds(1, 1L << 30, 500, 2L << 30));
        budget.PassedOver.ShouldBe(all["k1"].Id);

        // Nothing fits what is left free; the rest stays pending for a worker with room.
        (await Store.ClaimAsync(new ClaimRequest(_worker, 10, Lease, study.Id) { Budget = new Resources.ResourceBudget(0, 0, [0, 0], total) })).ShouldBeEmpty();
        (await Store.ClaimAsync(new ClaimRequest(_other, 10, Lease, study.Id) { Budget = new Resources.ResourceBudget(5, 8L << 30, [1000, 1000], total with { Cpus = 5 }) }))
            .Select(l => l.Key).Order().ShouldBe(["k1", "k5"]);
        (await ClaimAsync(study, 10)).Select(l => l.Key).ShouldBe(["k3"]); // a claim without a budget takes anything

        var usage = new Resources.TrialUsage { Cpus = 1, Gpus = ["1"], GpuMilli = 500, WallSeconds = 1.5, CpuUserSeconds = 1.25, PeakMemoryBytes = 123456 };
        var k2 = leases.Single(l => l.Key == "k2");
        (await Store.CompleteAsync([new TrialCompletion(k2, new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(1.5), "{}") { Usage = usage })])).ShouldBe([true]);
        Resources.TrialUsage.FromJson((await TrialAsync(k2.TrialId)).UsageJson).ShouldBe(usage with { Gpus = ["1"] }, new UsageComparer());
    }

    [Fact]
    public async Task Learning_memory_sets_the_need_of_pending_trials_that_need_less_or_wait_for_a_measurement()
    {
        var (study, _) = await Store.CreateStudyAsync(Definition("auto"));
        NewTrial Trial(int i, long memory) => new($"k{i}", i, 0, $$"""{"i":{{i}}}""", i, 1) { Needs = new Resources.TrialNeeds(1, memory) };
        await Store.EnqueueAsync(study.Id, [Trial(0, 0), Trial(1, Resources.ResourcePlan.Unmeasured), Trial(2, Resources.ResourcePlan.Unmeasured), Trial(3, 8L << 30)]);
        var probe = (await ClaimAsync(study, 1)).Single();
        probe.Key.ShouldBe("k0");
        (await Store.LearnMemoryAsync(study.Id, 300L << 20)).ShouldBe(2); // k1, k2; k3 needs more already, k0 runs
        var trials = (await Store.ListTrialsAsync(new TrialFilter { StudyId = study.Id })).ToDictionary(t => t.Key);
        trials["k1"].Needs.MemoryBytes.ShouldBe(300L << 20);
        trials["k2"].Needs.MemoryBytes.ShouldBe(300L << 20);
        trials["k3"].Needs.MemoryBytes.ShouldBe(8L << 30);
        trials["k0"].Needs.MemoryBytes.ShouldBe(0);
        (await Store.LearnMemoryAsync(study.Id, 200L << 20)).ShouldBe(0); // never lowered
    }

    [Fact]
    public async Task Another_programs_database_is_refused_and_nothing_is_added_to_it()
    {
        await Factory.NewLocationAsync();
        await Factory.ExecuteAsync("CREATE TABLE users (id integer PRIMARY KEY, name text)");
        var refused = await Should.ThrowAsync<StoreIncompatibleException>(() => Factory.OpenAnotherAsync(Time));
        refused.WrongTarget.ShouldBeTrue();
        refused.Message.ShouldContain("another program");
        refused.Message.ShouldContain("users");
        // Not one table of Expt's was added.
        await Should.ThrowAsync<System.Data.Common.DbException>(() => Factory.ExecuteAsync("SELECT 1 FROM schema_migrations"));
        await Should.ThrowAsync<System.Data.Common.DbException>(() => Factory.ExecuteAsync("SELECT 1 FROM studies"));
        await Factory.ExecuteAsync("INSERT INTO users (id, name) VALUES (1, 'kept')");
    }

    [Fact]
    public async Task A_store_of_a_newer_schema_is_refused_before_anything_is_written()
    {
        await Store.CreateStudyAsync(Definition());
        await Factory.ExecuteAsync("UPDATE schema_migrations SET version = 999 WHERE version = (SELECT MAX(version) FROM schema_migrations)");
        var refused = await Should.ThrowAsync<StoreIncompatibleException>(() => Factory.OpenAnotherAsync(Time));
        refused.WrongTarget.ShouldBeFalse();
        refused.Message.ShouldContain("schema (version 999) is newer than this Expt understands");
        refused.Message.ShouldContain("upgrade Expt");
    }

    private sealed class UsageComparer : IEqualityComparer<Resources.TrialUsage?>
    {
        public bool Equals(Resources.TrialUsage? x, Resources.TrialUsage? y) => x!.ToJson() == y!.ToJson();

        public int GetHashCode(Resources.TrialUsage? obj) => 0;
    }
}
