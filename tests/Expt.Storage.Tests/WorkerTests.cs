using System.Collections.Concurrent;
using Expt.Execution;
using Expt.Spec;
using Expt.Trials;

namespace Expt.Storage.Tests;

/// <summary>
/// The worker loop against each real store (a SQLite file; a schema on the test run's PostgreSQL server), with
/// in-process C# trials: one abstract class, a sealed subclass per backend, as the conformance suite.
/// </summary>
public abstract class WorkerTests<TFactory> : IAsyncLifetime
    where TFactory : IStoreFactory, new()
{
    private readonly TFactory _factory = new();
    private IExptStore _store = null!;

    public async Task InitializeAsync() => _store = await _factory.CreateAsync(TimeProvider.System);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private static StudySpec Spec(string yaml) => StudySpecBinder.Bind(YamlConfigReader.Parse(yaml, "t.yaml"), new BindOptions { DefaultExperiment = "t" });

    private async Task<(PreparedStudy Study, WorkerReport Report)> RunAsync(StudySpec spec, Func<Trial, Task<object?>> body, int slots, CancellationToken stop = default, CancellationToken abort = default, IWorkerObserver? observer = null, TimeSpan? heartbeat = null)
    {
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var executor = new InProcessExecutor(body, spec.Timeout);
        var options = new WorkerOptions { StudyId = prepared.Study.Id, Slots = slots, Heartbeat = heartbeat ?? TimeSpan.FromSeconds(10) };
        if (Adaptive.AdaptiveRules.For(prepared.Study) is { } rules)
        {
            options = options with { AdaptiveStudies = new Dictionary<string, Adaptive.AdaptiveRules> { [prepared.Study.Id] = rules } };
        }
        var report = await new Worker(_store, _ => executor, options, observer: observer).RunAsync(stop, abort);
        return (prepared, report);
    }

    private Task<IReadOnlyList<TrialRecord>> TrialsAsync(PreparedStudy study) => _store.ListTrialsAsync(new TrialFilter { StudyId = study.Study.Id });

    [Fact]
    public async Task A_study_narrows_as_its_file_does_and_widens_back()
    {
        const string Wide = "name: narrow\nparams:\n  a: [1, 2, 3]\n  b: [1, 2]\n";
        await StudyPreparation.PrepareAsync(_store, Spec(Wide), null, requeueCancelled: true);
        var ran = new ConcurrentBag<int>();
        Task<object?> Body(Trial trial)
        {
            ran.Add(trial.Get<int>("a"));
            return Task.FromResult<object?>(new { y = trial.Get<int>("a") });
        }

        var (narrowed, report) = await RunAsync(Spec(Wide + "exclude: [{a: 3}]\n"), Body, slots: 2);
        narrowed.Narrowing.Withdrawn.ShouldBe(2);
        narrowed.Narrowing.Why.ShouldBe("2 excluded by {a: 3}");
        report.Completed.ShouldBe(4);
        ran.ShouldNotContain(3);
        var trials = await TrialsAsync(narrowed);
        trials.Where(t => t.ParamsJson.Contains("\"a\":3", StringComparison.Ordinal)).ShouldAllBe(t => t.Status == TrialStatus.Cancelled && t.Error == TrialRows.WithdrawnError);

        // Running the narrowed file again leaves them withdrawn; a removed value withdraws nothing more (all ran).
        var (again, _) = await RunAsync(Spec(Wide + "exclude: [{a: 3}]\n"), Body, slots: 2);
        again.Narrowing.ShouldBe(new NarrowingReport(0, 0, 0, 2, null));
        ran.ShouldNotContain(3);

        var (widened, back) = await RunAsync(Spec(Wide), Body, slots: 2);
        widened.Narrowing.Requeued.ShouldBe(2);
        back.Completed.ShouldBe(2);
        ran.Count(a => a == 3).ShouldBe(2);
        (await TrialsAsync(widened)).ShouldAllBe(t => t.Status == TrialStatus.Completed);
    }

    [Fact]
    public async Task A_removed_value_or_a_where_withdraws_its_pending_trials_but_not_points_added_by_hand()
    {
        var spec = Spec("name: removed\nparams:\n  a: [1, 2, 3]\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        // A point added by hand (expt add records it): it stays whatever the file says.
        var extra = new ParamSet([KeyValuePair.Create<string, object?>("a", 9L)]);
        var key = TrialIdentity.Key(extra.ToCanonicalJson(), 0);
        await _store.EnqueueAsync(prepared.Study.Id, [new NewTrial(key, 100, 0, extra.ToFlatJson(), 7, 1)]);
        await _store.AddStudyEventAsync(prepared.Study.Id, StudyNarrowing.PointsAddedEvent, $$"""{"keys":["{{key}}"]}""");

        var removed = await StudyPreparation.PrepareAsync(_store, Spec("name: removed\nparams:\n  a: [1, 2]\n"), null, requeueCancelled: true);
        removed.Narrowing.Withdrawn.ShouldBe(1);
        removed.Narrowing.Why.ShouldBe("1 with a=3, no longer in the file");
        var filtered = await StudyPreparation.PrepareAsync(_store, Spec("name: removed\nparams:\n  a: [1, 2, 3]\nwhere: a < 2\n"), null, requeueCancelled: true);
        filtered.Narrowing.Withdrawn.ShouldBe(1);
        filtered.Narrowing.Requeued.ShouldBe(0); // a=3 came back into the grid but the where keeps it out
        filtered.Narrowing.Why.ShouldBe("1 failing where a < 2");
        var counts = await _store.CountAsync(prepared.Study.Id);
        counts[TrialStatus.Pending].ShouldBe(2); // a=1 and the added a=9
        counts[TrialStatus.Cancelled].ShouldBe(2);
    }

    [Fact]
    public async Task Trials_cancelled_by_hand_stay_cancelled_while_interrupted_ones_resume()
    {
        var spec = Spec("name: kept\nparams:\n  x: range(3)\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var ids = (await TrialsAsync(prepared)).OrderBy(t => t.Seq).Select(t => t.Id).ToList();
        (await _store.CancelAsync(null, [ids[0]])).ShouldBe(1);
        // What a Ctrl+C'd run leaves: the running trial ends cancelled with the executor's words.
        var lease = (await _store.ClaimAsync(new ClaimRequest(new WorkerIdentity("w", "h", 1), 1, TimeSpan.FromSeconds(30), prepared.Study.Id) { Ids = [ids[1]] })).Single();
        (await _store.CompleteAsync([new TrialCompletion(lease, new TrialOutcome(TrialStatus.Cancelled, TimeSpan.FromSeconds(1), Error: "cancelled"))])).ShouldBe([true]);

        var again = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        again.Narrowing.ShouldBe(new NarrowingReport(0, 1, 1, 0, null));
        var trials = (await TrialsAsync(again)).ToDictionary(t => t.Id);
        CancelReasons.Of(trials[ids[0]]).ShouldBe(CancelReason.ByHand);
        trials[ids[1]].Status.ShouldBe(TrialStatus.Pending);
        trials[ids[2]].Status.ShouldBe(TrialStatus.Pending);
        // expt retry brings it back.
        (await _store.ResetAsync(prepared.Study.Id, [TrialStatus.Cancelled])).ShouldBe(1);
        (await _store.CountAsync(prepared.Study.Id))[TrialStatus.Pending].ShouldBe(3);
    }

    private sealed record Optimizer(string Name, double Lr);

    [Fact]
    public async Task List_and_mapping_values_reach_csharp_trials_and_come_back_from_the_store_with_the_same_keys()
    {
        var spec = Spec("name: lists\nparams:\n  layers: [[64, 32], [128, 64, 32]]\n  optim: [{name: adam, lr: 0.001}]\n");
        var (study, report) = await RunAsync(spec, trial =>
        {
            var layers = trial.Get<int[]>("layers");
            var optim = trial.Get<Optimizer>("optim");
            return Task.FromResult<object?>(new { depth = layers.Length, first = layers[0], optim.Name, lr = trial.Get<double>("optim.lr") });
        }, slots: 2);
        report.Completed.ShouldBe(2);
        var trials = await TrialsAsync(study);
        trials.Select(t => t.ResultsJson).Order(StringComparer.Ordinal).ShouldBe([
            """{"depth":2,"first":64,"Name":"adam","lr":0.001}""",
            """{"depth":3,"first":128,"Name":"adam","lr":0.001}""",
        ]);
        // The store gives back what was planned: the same canonical points, so running again adds and withdraws nothing.
        var planned = TrialPlan.Create(spec).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
        trials.Select(t => TrialIdentity.Key(ParamSet.FromJson(t.ParamsJson), t.Replicate)).Order(StringComparer.Ordinal).ShouldBe(planned);
        var again = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        again.Added.ShouldBe(0);
        again.Narrowing.ShouldBe(NarrowingReport.None);
    }

    [Fact]
    public async Task Recovery_records_what_an_earlier_runner_kept_in_its_spool_and_a_host_can_call_it()
    {
        var spec = Spec("name: spooled\nparams:\n  x: range(3)\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var leases = await _store.ClaimAsync(new ClaimRequest(new WorkerIdentity("gone", "h", 1), 3, TimeSpan.FromMinutes(5), prepared.Study.Id));
        var spool = Path.Combine(Path.GetTempPath(), $"expt-spool-{Guid.NewGuid():N}.spool");
        try
        {
            using (var kept = OutcomeSpool.Open(spool, reserve: false)!)
            {
                foreach (var lease in leases)
                {
                    kept.TryAdd(new TrialCompletion(lease, new TrialOutcome(TrialStatus.Completed, TimeSpan.FromSeconds(1), """{"y":1}"""))).ShouldBeTrue();
                }
            }
            var registry = new RunnerRegistry(Directory.CreateTempSubdirectory("expt-runners-").FullName);
            var report = await RunnerRecovery.RecoverAsync(_store, spool, registry);
            (report.Kept, report.Recorded, report.Dead.Count).ShouldBe((3, 3, 0));
            (await _store.CountAsync(prepared.Study.Id))[TrialStatus.Completed].ShouldBe(3);
            OutcomeSpool.Read(spool).ShouldBeEmpty();
        }
        finally
        {
            File.Delete(spool);
        }
    }

    [Fact]
    public async Task A_host_adds_points_to_a_table_and_a_run_of_the_file_keeps_them()
    {
        var spec = Spec("name: table\ncommand: run {dataset} {lr}\npoints: []\nparams:\n  dataset: []\n  lr: []\nreplications: 2\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        ParamSet Point(string dataset, double lr) => new([KeyValuePair.Create<string, object?>("dataset", dataset), KeyValuePair.Create<string, object?>("lr", lr)]);

        Should.Throw<PointRejectedException>(() => PointAdder.Complete(prepared.Study, [new ParamSet([KeyValuePair.Create<string, object?>("datset", "x")])]))
            .Message.ShouldStartWith("table has no parameter 'datset' (did you mean 'dataset'?)");
        Should.Throw<PointRejectedException>(() => PointAdder.Complete(prepared.Study, [new ParamSet([KeyValuePair.Create<string, object?>("lr", 0.1)])]))
            .Message.ShouldBe("missing; every point of table sets dataset, lr");

        var points = PointAdder.Complete(prepared.Study, [Point("iris", 0.1), Point("wine", 0.2)]);
        (await PointAdder.AddAsync(_store, prepared.Study, points)).ShouldBe(new PointAdder.Report(2, 2, 4, 0));
        (await PointAdder.AddAsync(_store, prepared.Study, points)).ShouldBe(new PointAdder.Report(2, 2, 0, 4));
        var again = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        again.Narrowing.Withdrawn.ShouldBe(0);
        (await _store.CountAsync(prepared.Study.Id))[TrialStatus.Pending].ShouldBe(4);
    }

    [Fact]
    public async Task Runs_every_trial_and_stores_results_and_metrics()
    {
        var spec = Spec("name: all\nparams:\n  x: range(10)\nreplications: 3\nseed: 1\n");
        var (study, report) = await RunAsync(spec, trial =>
        {
            trial.Log("loss", trial.Get<int>("x"));
            trial.Log("loss", trial.Get<int>("x") / 2.0);
            trial.Result("extra", "yes");
            return Task.FromResult<object?>(new { square = trial.Get<int>("x") * trial.Get<int>("x"), trial.Seed });
        }, slots: 4);
        report.Completed.ShouldBe(30);
        var trials = await TrialsAsync(study);
        trials.ShouldAllBe(t => t.Status == TrialStatus.Completed);
        var t7 = trials.First(t => t.ParamsJson == """{"x":7}""");
        t7.ResultsJson.ShouldBe($$"""{"extra":"yes","square":49,"Seed":{{t7.Seed}}}""");
        (await _store.GetMetricsAsync(t7.Id)).Select(m => (m.Step, m.Value)).ShouldBe([(0L, 7.0), (1L, 3.5)]);
    }

    [Fact]
    public async Task Csharp_trials_tag_and_note_themselves_and_a_bad_tag_fails_the_trial()
    {
        var spec = Spec("name: labels\nparams:\n  x: range(3)\n");
        var (study, report) = await RunAsync(spec, trial =>
        {
            var x = trial.Get<int>("x");
            trial.Tag("seen", x == 1 ? "one" : "other");
            if (x == 1)
            {
                trial.Note("first line");
                trial.Note("second line  ");
            }
            if (x == 2)
            {
                trial.Tag("two words");
            }
            return Task.FromResult<object?>(x);
        }, slots: 2);
        report.Completed.ShouldBe(2);
        var trials = (await TrialsAsync(study)).OrderBy(t => t.ParamsJson, StringComparer.Ordinal).ToList();
        trials[0].Tags.ShouldBe(["other", "seen"]);
        trials[0].Note.ShouldBeNull();
        trials[1].Tags.ShouldBe(["one", "seen"]);
        trials[1].Note.ShouldBe("first line\nsecond line");
        trials[2].Status.ShouldBe(TrialStatus.Failed);
        trials[2].Error.ShouldNotBeNull().ShouldContain("a tag is one word");
    }

    [Fact]
    public async Task One_failure_does_not_stop_the_others_and_is_retried()
    {
        var spec = Spec("name: fail\nparams:\n  x: range(6)\nretries: 1\n");
        var attempts = new ConcurrentDictionary<long, int>();
        var (study, report) = await RunAsync(spec, trial =>
        {
            var x = trial.Get<long>("x");
            var attempt = attempts.AddOrUpdate(x, 1, (_, n) => n + 1);
            if (x == 2 || (x == 4 && attempt == 1))
            {
                throw new InvalidOperationException($"bad x={x}");
            }
            return Task.FromResult<object?>(x);
        }, slots: 2);
        var trials = await TrialsAsync(study);
        trials.Count(t => t.Status == TrialStatus.Completed).ShouldBe(5);
        var failed = trials.Single(t => t.Status == TrialStatus.Failed);
        failed.ParamsJson.ShouldBe("""{"x":2}""");
        failed.Attempts.ShouldBe(2);
        failed.Error.ShouldNotBeNull().ShouldContain("InvalidOperationException: bad x=2");
        failed.Error.ShouldContain("at "); // the stack trace is kept
        trials.Single(t => t.ParamsJson == """{"x":4}""").Attempts.ShouldBe(2);
        report.Failed.ShouldBe(3);
        report.Completed.ShouldBe(5);
    }

    [Fact]
    public async Task Sequential_and_parallel_runs_give_the_same_seeds_and_results()
    {
        const string yaml = "params:\n  a: [1, 2, 3]\n  b: linspace(0, 1, 4)\nreplications: 4\nseed: 99\n";
        static Task<object?> Body(Trial trial)
        {
            var sum = 0.0;
            for (var i = 0; i < 1000; i++)
            {
                sum += trial.Random.NextDouble() * trial.Get<double>("b");
            }
            return Task.FromResult<object?>(new { sum, first = trial.Random.Next(1000) });
        }
        var (one, _) = await RunAsync(Spec("name: seq\n" + yaml), Body, slots: 1);
        var (many, _) = await RunAsync(Spec("name: par\n" + yaml), Body, slots: 8);
        var sequential = (await TrialsAsync(one)).ToDictionary(t => t.Key, t => (t.Seed, t.ResultsJson));
        var parallel = (await TrialsAsync(many)).ToDictionary(t => t.Key, t => (t.Seed, t.ResultsJson));
        sequential.Count.ShouldBe(48);
        parallel.ShouldBe(sequential);
    }

    [Fact]
    public async Task A_trial_past_its_timeout_times_out_and_others_continue()
    {
        var spec = Spec("name: slow\nparams:\n  x: [1, 2, 3]\ntimeout: 300ms\n");
        var (study, _) = await RunAsync(spec, async trial =>
        {
            if (trial.Get<int>("x") == 2)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), trial.CancellationToken);
            }
            return null;
        }, slots: 3);
        var trials = await TrialsAsync(study);
        trials.Single(t => t.ParamsJson == """{"x":2}""").Status.ShouldBe(TrialStatus.Timeout);
        trials.Count(t => t.Status == TrialStatus.Completed).ShouldBe(2);
    }

    [Fact]
    public async Task Stopping_lets_running_trials_finish_and_returns_unstarted_ones()
    {
        var spec = Spec("name: stop\nparams:\n  x: range(20)\n");
        using var stop = new CancellationTokenSource();
        var started = 0;
        var (study, report) = await RunAsync(spec, async trial =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                await stop.CancelAsync();
            }
            await Task.Delay(100);
            return "done";
        }, slots: 2, stop: stop.Token);
        var trials = await TrialsAsync(study);
        trials.Count(t => t.Status == TrialStatus.Completed).ShouldBe(2);
        trials.Count(t => t.Status == TrialStatus.Pending).ShouldBe(18);
        trials.Where(t => t.Status == TrialStatus.Pending).ShouldAllBe(t => t.Attempts == 0);
        trials.ShouldNotContain(t => t.Status == TrialStatus.Running);
        report.Completed.ShouldBe(2);
    }

    [Fact]
    public async Task Aborting_cancels_running_trials_and_leaves_nothing_running()
    {
        var spec = Spec("name: abort\nparams:\n  x: range(10)\n");
        using var abort = new CancellationTokenSource();
        var started = 0;
        var (study, _) = await RunAsync(spec, async trial =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                abort.CancelAfter(50);
            }
            await Task.Delay(TimeSpan.FromSeconds(30), trial.CancellationToken);
            return null;
        }, slots: 2, abort: abort.Token);
        var trials = await TrialsAsync(study);
        trials.Count(t => t.Status == TrialStatus.Cancelled).ShouldBe(2);
        trials.Count(t => t.Status == TrialStatus.Pending).ShouldBe(8);
        trials.ShouldNotContain(t => t.Status == TrialStatus.Running);
        // The next run resumes: cancelled trials are requeued and everything completes.
        var (_, report) = await RunAsync(spec, _ => Task.FromResult<object?>(1), slots: 2);
        report.Completed.ShouldBe(10);
    }

    [Theory]
    [InlineData(100, 600_000)] // the look at the store every CancelCheck stops it, long before any heartbeat
    [InlineData(0, 100)]       // without the look, the next heartbeat finds the lease gone
    public async Task A_trial_cancelled_in_the_store_is_stopped_and_reported_as_cancelled_from_outside(int checkMs, int heartbeatMs)
    {
        var spec = Spec($"name: remote-cancel-{checkMs}\nparams:\n  x: [1]\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var executor = new InProcessExecutor(async trial =>
        {
            await _store.CancelAsync(null, [trial.Id]);
            await Task.Delay(TimeSpan.FromSeconds(30), trial.CancellationToken);
            return null;
        }, null);
        var options = new WorkerOptions
        {
            StudyId = prepared.Study.Id,
            Slots = 1,
            Heartbeat = TimeSpan.FromMilliseconds(heartbeatMs),
            Lease = TimeSpan.FromMilliseconds(Math.Max(heartbeatMs * 3, 1000)),
            CancelCheck = TimeSpan.FromMilliseconds(checkMs),
        };
        var started = DateTime.UtcNow;
        var report = await new Worker(_store, _ => executor, options).RunAsync(default, default);
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(10));
        report.Cancelled.ShouldBe(1);
        report.CancelledInStore.ShouldBe(1);
        report.Refused.ShouldBe(0);
        var trial = (await TrialsAsync(prepared)).Single();
        trial.Status.ShouldBe(TrialStatus.Cancelled);
        trial.Error.ShouldBe("cancelled by the user");
    }

    [Fact]
    public async Task Two_workers_on_separate_connections_split_a_study()
    {
        var spec = Spec("name: split\nparams:\n  x: range(200)\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var runs = new ConcurrentDictionary<string, int>();
        var executor = new InProcessExecutor(async trial =>
        {
            runs.AddOrUpdate(trial.Id, 1, (_, n) => n + 1);
            await Task.Delay(2);
            return null;
        }, null);
        await using var second = await _factory.OpenAnotherAsync(TimeProvider.System);
        var reports = await Task.WhenAll(
            new Worker(_store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2 }).RunAsync(default, default),
            new Worker(second, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2 }).RunAsync(default, default));
        runs.Count.ShouldBe(200);
        runs.Values.ShouldAllBe(n => n == 1);
        reports.Sum(r => r.Completed).ShouldBe(200);
        reports.ShouldAllBe(r => r.Completed > 0);
    }

    [Fact]
    public async Task Resuming_a_study_adds_only_new_points()
    {
        var (first, _) = await RunAsync(Spec("name: grow\nparams:\n  x: [1, 2]\nreplications: 2\n"), _ => Task.FromResult<object?>(1), slots: 2);
        var before = (await TrialsAsync(first)).ToDictionary(t => t.Key, t => t.Id);
        var (second, report) = await RunAsync(Spec("name: grow\nparams:\n  x: [1, 2, 3]\nreplications: 3\n"), _ => Task.FromResult<object?>(1), slots: 2);
        second.Added.ShouldBe(5);
        report.Completed.ShouldBe(5);
        var after = (await TrialsAsync(second)).ToDictionary(t => t.Key, t => t.Id);
        after.Count.ShouldBe(9);
        before.ShouldAllBe(kv => after[kv.Key] == kv.Value);
    }

    [Fact]
    public async Task An_incompatible_change_is_refused_before_anything_is_written()
    {
        await RunAsync(Spec("name: fixed\nseed: 1\nparams:\n  x: [1]\n"), _ => Task.FromResult<object?>(1), slots: 1);
        var ex = await Should.ThrowAsync<StudyConflictException>(() => StudyPreparation.PrepareAsync(_store, Spec("name: fixed\nseed: 2\nparams:\n  x: [1, 2]\n"), null, true));
        ex.Message.ShouldContain("seed 1 → 2");
        var study = await _store.GetStudyAsync("fixed");
        (await _store.CountAsync(study!.Id)).Values.Sum().ShouldBe(1);
        (await StudyPreparation.NextVersionNameAsync(_store, "fixed")).ShouldBe("fixed-v2");
    }

    [Fact]
    public async Task When_memory_runs_short_the_youngest_trials_go_back_to_the_queue_and_fewer_run_at_once()
    {
        var spec = Spec("name: guard\nparams:\n  x: range(3)\nresources:\n  cpus: 1\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var started = new SemaphoreSlim(0);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var mostAfterLowering = 0;
        var lowered = false;
        var executor = new InProcessExecutor(async trial =>
        {
            var now = Interlocked.Increment(ref running);
            if (Volatile.Read(ref lowered))
            {
                InterlockedMax(ref mostAfterLowering, now);
            }
            try
            {
                started.Release();
                await release.Task.WaitAsync(trial.CancellationToken);
                return new { x = trial.Get<long>("x") };
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, null);
        var low = false;
        var pool = new Expt.Resources.ResourcePool(new Expt.Resources.MachineCapacity(4, 8L << 30, []), TimeSpan.FromSeconds(60));
        var options = new WorkerOptions
        {
            StudyId = prepared.Study.Id,
            Slots = 4,
            Resources = pool,
            MemoryInfo = () => Volatile.Read(ref low) ? (100L << 20, 16L << 30) : (8L << 30, 16L << 30),
            MemoryCheck = TimeSpan.FromMilliseconds(50),
        };
        var run = new Worker(_store, _ => executor, options).RunAsync(default, default);
        for (var i = 0; i < 3; i++)
        {
            await started.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Volatile.Write(ref low, true);
        await ExptCli.WaitUntilAsync(() => pool.MaxRunning == 1 && Volatile.Read(ref running) == 1, TimeSpan.FromSeconds(30), "the guard to stop all but one trial");
        Volatile.Write(ref lowered, true);
        Volatile.Write(ref low, false);
        release.SetResult();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(60));
        report.StoppedForMemory.ShouldBe(2);
        report.Completed.ShouldBe(3);
        mostAfterLowering.ShouldBeLessThanOrEqualTo(1);
        var trials = await TrialsAsync(prepared);
        trials.ShouldAllBe(t => t.Status == TrialStatus.Completed && t.Attempts == 1);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public async Task Preempting_gives_running_and_unstarted_trials_back_without_counting_the_attempt()
    {
        var spec = Spec("name: preempt\nparams:\n  x: range(6)\n");
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var started = new SemaphoreSlim(0);
        var executor = new InProcessExecutor(async trial =>
        {
            started.Release();
            await Task.Delay(TimeSpan.FromMinutes(5), trial.CancellationToken);
            return null;
        }, null);
        using var preempt = new CancellationTokenSource();
        var run = new Worker(_store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2 }).RunAsync(default, default, preempt.Token);
        await started.WaitAsync(TimeSpan.FromSeconds(30));
        await started.WaitAsync(TimeSpan.FromSeconds(30));
        await preempt.CancelAsync();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(30));
        report.GivenBack.ShouldBe(2);
        report.Cancelled.ShouldBe(0);
        var trials = await TrialsAsync(prepared);
        trials.ShouldAllBe(t => t.Status == TrialStatus.Pending && t.Attempts == 0 && t.LeaseOwner == null);
    }

    private const string RaceStudy = """
        name: NAME
        params:
          mu: [0.0, 0.05, 0.3, 0.6, 1.0, 2.0]
        objectives: {loss: minimize}
        race: {test: t, alpha: 0.05, min_replications: 3, max_replications: 10}
        seed: 11
        """;

    // Normal(mu, 0.2) from the trial's seed, so that whoever runs a trial gets the same value.
    private static Task<object?> Noisy(Trial trial)
    {
        var r = new Random((int)(trial.Seed % int.MaxValue));
        var z = Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
        return Task.FromResult<object?>(new { loss = trial.Get<double>("mu") + (0.2 * z) });
    }

    // What a race decided and which trials it ran, without times or ids.
    private async Task<string> RaceOutcomeAsync(PreparedStudy prepared)
    {
        var decisions = await _store.GetPointDecisionsAsync(prepared.Study.Id);
        var trials = await TrialsAsync(prepared);
        trials.ShouldAllBe(t => t.Status == TrialStatus.Completed);
        return string.Join('\n', decisions.OrderBy(d => d.Point, StringComparer.Ordinal).Select(d => $"{d.ParamsJson} {d.StateName} r{d.Round} n{d.Replicates} p{d.PValue:R}")) +
            "\n" + string.Join(',', trials.Select(t => $"{t.Key}={t.ResultsJson}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_race_decides_the_same_with_one_slot_four_slots_and_three_workers_at_once()
    {
        var (one, _) = await RunAsync(Spec(RaceStudy.Replace("NAME", "race-1", StringComparison.Ordinal)), Noisy, slots: 1);
        var expected = await RaceOutcomeAsync(one);
        expected.ShouldContain("eliminated");
        expected.ShouldContain("survivor");
        var (four, _) = await RunAsync(Spec(RaceStudy.Replace("NAME", "race-4", StringComparison.Ordinal)), Noisy, slots: 4);
        (await RaceOutcomeAsync(four)).ShouldBe(expected);

        // Three workers, each with its own connection, racing for the same study: every decision is taken once.
        var prepared = await StudyPreparation.PrepareAsync(_store, Spec(RaceStudy.Replace("NAME", "race-3w", StringComparison.Ordinal)), null, requeueCancelled: true);
        var rules = Adaptive.AdaptiveRules.For(prepared.Study)!;
        var stores = new List<IExptStore>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                stores.Add(await _factory.OpenAnotherAsync(TimeProvider.System));
            }
            var executor = new InProcessExecutor(Noisy, null);
            var runs = stores.Select((store, i) => Task.Run(() => new Worker(store, _ => executor, new WorkerOptions
            {
                StudyId = prepared.Study.Id,
                Slots = 2,
                Identity = new WorkerIdentity($"w{i}", "host", 100 + i),
                AdaptiveStudies = new Dictionary<string, Adaptive.AdaptiveRules> { [prepared.Study.Id] = rules },
                PollInterval = TimeSpan.FromMilliseconds(50),
            }).RunAsync(default, default))).ToList();
            var reports = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(2));
            reports.Sum(r => r.Completed).ShouldBe((await TrialsAsync(prepared)).Count);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
        (await RaceOutcomeAsync(prepared)).ShouldBe(expected.Replace("race-1", "race-3w", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stopped_race_resumes_where_it_stopped_and_ends_as_an_uninterrupted_one()
    {
        var (whole, _) = await RunAsync(Spec(RaceStudy.Replace("NAME", "whole", StringComparison.Ordinal)), Noisy, slots: 2);
        var expected = await RaceOutcomeAsync(whole);
        // Stopped after a few trials (as Ctrl+C stops claiming), then run again.
        var spec = Spec(RaceStudy.Replace("NAME", "stopped", StringComparison.Ordinal));
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, requeueCancelled: true);
        var rules = Adaptive.AdaptiveRules.For(prepared.Study)!;
        var options = new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2, MaxTrials = 23, AdaptiveStudies = new Dictionary<string, Adaptive.AdaptiveRules> { [prepared.Study.Id] = rules } };
        var executor = new InProcessExecutor(Noisy, null);
        (await new Worker(_store, _ => executor, options).RunAsync(default, default)).Completed.ShouldBe(23);
        (await _store.GetPointDecisionsAsync(prepared.Study.Id)).Count.ShouldBeLessThan(6);
        await new Worker(_store, _ => executor, options with { MaxTrials = null }).RunAsync(default, default);
        (await RaceOutcomeAsync(prepared)).ShouldBe(expected);
    }

    private sealed class SignalledExecutor(SemaphoreSlim died) : ITrialExecutor
    {
        public Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
        {
            died.Release();
            return Task.FromResult(new TrialOutcome(TrialStatus.Failed, TimeSpan.FromMilliseconds(5), Error: "exit code 143", ExitCode: 143));
        }
    }

    [Fact]
    public async Task A_trial_killed_by_the_signal_that_then_preempts_its_worker_is_given_back_not_failed()
    {
        // A batch system cancelling or requeuing a job signals every process in it: the trial may die first.
        var prepared = await StudyPreparation.PrepareAsync(_store, Spec("name: requeued\nparams:\n  x: [1]\n"), null, requeueCancelled: true);
        var died = new SemaphoreSlim(0);
        using var preempt = new CancellationTokenSource();
        var options = new WorkerOptions { StudyId = prepared.Study.Id, SignalGrace = TimeSpan.FromSeconds(30) };
        var run = new Worker(_store, _ => new SignalledExecutor(died), options).RunAsync(default, default, preempt.Token);
        (await died.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        await Task.Delay(200);
        await preempt.CancelAsync();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(10)); // well within the grace: the signal ended the wait
        report.GivenBack.ShouldBe(1);
        report.Failed.ShouldBe(0);
        (await TrialsAsync(prepared)).ShouldAllBe(t => t.Status == TrialStatus.Pending && t.Attempts == 0);
    }

    [Fact]
    public async Task A_trial_killed_by_a_signal_while_its_worker_carries_on_fails_after_the_grace()
    {
        var prepared = await StudyPreparation.PrepareAsync(_store, Spec("name: killed\nparams:\n  x: [1]\n"), null, requeueCancelled: true);
        var options = new WorkerOptions { StudyId = prepared.Study.Id, SignalGrace = TimeSpan.FromMilliseconds(100) };
        var report = await new Worker(_store, _ => new SignalledExecutor(new SemaphoreSlim(0)), options).RunAsync(default, default);
        report.Failed.ShouldBe(1);
        var trial = (await TrialsAsync(prepared)).Single();
        trial.Status.ShouldBe(TrialStatus.Failed);
        trial.ExitCode.ShouldBe(143);
    }
}
