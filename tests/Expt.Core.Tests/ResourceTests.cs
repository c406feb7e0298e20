using Expt.Resources;
using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

/// <summary>resources: and priority: in study files, and the packing that decides which trials fit a worker.</summary>
public sealed class ResourceTests
{
    private const string Head = "name: s\ncommand: run {model} {x}\nparams:\n  model: [small, large]\n  x: [1, 2]\n";

    [Fact]
    public void Resources_bind_with_rules_over_parameters_and_a_priority()
    {
        var spec = Parse(Head + """
            resources:
              cpus: 2
              memory: 3G
              gpus: 0.5
              memory_limit: 4G
              when:
                - where: model == "large"
                  gpus: 2
                  memory: 12G
                  memory_limit: 16G
                  priority: 5
            priority: 1
            """);
        spec.Resources.Declared.ShouldBeTrue();
        spec.Resources.For(ParamSet.FromJson("""{"model":"small","x":1}""")).ShouldBe((new TrialNeeds(2, 3L << 30, 500, 4L << 30), 1));
        spec.Resources.For(ParamSet.FromJson("""{"model":"large","x":1}""")).ShouldBe((new TrialNeeds(2, 12L << 30, 2000, 16L << 30), 5));

        // Stored with the study and read back by a worker or expt add.
        var stored = StoredSpec.Read(spec.ToJson()).Resources;
        stored.For(ParamSet.FromJson("""{"model":"large","x":2}""")).ShouldBe((new TrialNeeds(2, 12L << 30, 2000, 16L << 30), 5));
        stored.For(ParamSet.FromJson("""{"model":"small","x":2}""")).ShouldBe((new TrialNeeds(2, 3L << 30, 500, 4L << 30), 1));
    }

    [Fact]
    public void With_memory_auto_the_first_trial_is_the_probe_and_the_rest_wait_for_its_measurement()
    {
        var plan = Parse(Head + "resources: {memory: auto}\n").Resources;
        plan.AutoMemory.ShouldBeTrue();
        var point = ParamSet.FromJson("""{"model":"small","x":1}""");
        plan.For(point, seq: 0).Needs.ShouldBe(new TrialNeeds(1, 0));
        plan.For(point, seq: 3).Needs.ShouldBe(new TrialNeeds(1, ResourcePlan.Unmeasured));
        StoredSpec.Read(Parse(Head + "resources: {memory: auto}\n").ToJson()).Resources.AutoMemory.ShouldBeTrue();
        // A rule that gives a size is not learned.
        Parse(Head + "resources:\n  memory: auto\n  when:\n    - where: model == \"large\"\n      memory: 2G\n").Resources
            .For(ParamSet.FromJson("""{"model":"large","x":1}"""), seq: 3).Needs.MemoryBytes.ShouldBe(2L << 30);
    }

    [Fact]
    public void Without_resources_a_trial_needs_nothing_and_with_them_a_core_at_least()
    {
        Parse(Head).Resources.For(ParamSet.FromJson("""{"model":"small","x":1}""")).Needs.IsNone.ShouldBeTrue();
        Parse(Head + "resources: {gpus: 1}\n").Resources.For(ParamSet.FromJson("""{"model":"small","x":1}""")).Needs.ShouldBe(new TrialNeeds(1, 0, 1000));
    }

    [Theory]
    [InlineData("resources: 4\n", "resources: expected a mapping such as {cpus: 2, memory: 3G, gpus: 1}")]
    [InlineData("resources: {cpu: 2}\n", "resources.cpu: unknown key (did you mean 'cpus'?)")]
    [InlineData("resources: {cpus: 0}\n", "resources.cpus: expected a whole number of cores from 1 to 4096, got '0'")]
    [InlineData("resources: {cpus: 1.5}\n", "resources.cpus: expected a whole number of cores")]
    [InlineData("resources: {memory: lots}\n", "resources.memory: expected a size from 1M to 1T such as 512M or 3G, or auto (learned from the first trials), got 'lots'")]
    [InlineData("resources: {gpus: 1.5}\n", "resources.gpus: expected whole GPUs (0 to 64) or a fraction of one such as 0.5")]
    [InlineData("resources: {gpus: -1}\n", "resources.gpus: expected whole GPUs")]
    [InlineData("resources: {gpus: 0.0001}\n", "resources.gpus: expected whole GPUs")]
    [InlineData("resources: {memory: 4G, memory_limit: 2G}\n", "resources.memory_limit: 2 GiB is less than the expected memory (4 GiB)")]
    [InlineData("resources: {when: [{gpus: 2}]}\n", "resources.when[0].where: missing; expected an expression over the parameters")]
    [InlineData("resources: {when: [{where: 'mdel == 1', gpus: 2}]}\n", "resources.when[0].where: 'mdel' is not a parameter (did you mean 'model'?); expected one of: model, x")]
    [InlineData("resources: {when: [{where: 'model ==', gpus: 2}]}\n", "resources.when[0].where: ")]
    [InlineData("resources: {when: [{where: 'x > 1'}]}\n", "resources.when[0]: a rule with where: alone changes nothing")]
    [InlineData("resources: {when: [{where: 'x > 1', gpu: 1}]}\n", "resources.when[0].gpu: unknown key (did you mean 'gpus'?)")]
    [InlineData("resources: {when: {where: 'x > 1'}}\n", "resources.when: expected a list of rules")]
    [InlineData("priority: high\n", "priority: expected a whole number from -1,000,000 to 1,000,000 (higher runs first), got 'high'")]
    [InlineData("priority: 99999999999\n", "priority: expected a whole number")]
    public void A_bad_resource_is_one_located_error(string yaml, string message)
    {
        var errors = Errors(Head + yaml);
        errors.ShouldHaveSingleItem().ToString().ShouldContain(message);
        errors[0].Location.Line.ShouldBeGreaterThan(5);
    }

    private static ResourceBudget Budget(int cpus, long memory, int[] gpus, bool strict = false) =>
        new(cpus, memory, gpus, new TrialNeeds(64, 1L << 40, gpus.Length * 1000)) { Strict = strict };

    private static (string, TrialNeeds)[] Trials(params TrialNeeds[] needs) => [.. needs.Select((n, i) => ($"t{i}", n))];

    [Fact]
    public void Packing_takes_what_fits_in_queue_order_and_backfills_smaller_trials()
    {
        var budget = Budget(4, 8L << 30, [1000, 1000]);
        var taken = budget.Pack(Trials(new TrialNeeds(2, 4L << 30), new TrialNeeds(4, 1L << 30), new TrialNeeds(1, 5L << 30), new TrialNeeds(2, 1L << 30), new TrialNeeds(1, 0)), max: 10);
        taken.ShouldBe([true, false, false, true, false]); // 2 + 2 cores; the 4-core one and the 5 GiB one do not fit
        budget.PassedOver.ShouldBe("t1");

        var strict = Budget(4, 8L << 30, [1000, 1000], strict: true);
        strict.Pack(Trials(new TrialNeeds(2, 0), new TrialNeeds(4, 0), new TrialNeeds(1, 0)), max: 10).ShouldBe([true, false, false]);
        Budget(4, 0, []).Pack(Trials(new TrialNeeds(1, 0), new TrialNeeds(1, 0), new TrialNeeds(1, 0)), max: 2).ShouldBe([true, true, false]);
    }

    [Fact]
    public void Gpu_fractions_share_a_device_and_whole_gpus_take_unused_ones()
    {
        int[] free = [1000, 1000];
        GpuPacking.TryTake(free, 500, out var a).ShouldBeTrue();
        GpuPacking.TryTake(free, 500, out var b).ShouldBeTrue();
        a.ShouldBe(b); // the fullest device that fits: both halves on one device
        GpuPacking.TryTake(free, 1000, out var whole).ShouldBeTrue();
        whole.ShouldNotBe(a);
        GpuPacking.TryTake(free, 500, out _).ShouldBeFalse();
        GpuPacking.Give(free, 500, a);
        GpuPacking.TryTake(free, 1000, out _).ShouldBeFalse(); // half of it is still taken
        GpuPacking.TryTake(free, 500, out var c).ShouldBeTrue();
        c.ShouldBe(a);
        free.ShouldBe([0, 0]);
        GpuPacking.TryTake([1000, 1000, 1000], 2000, out var two).ShouldBeTrue();
        two.Length.ShouldBe(2);
    }

    [Fact]
    public void A_pool_grants_devices_and_takes_them_back_and_drains_for_a_trial_passed_over_too_long()
    {
        var time = new SteppedClock();
        var pool = new ResourcePool(new MachineCapacity(4, 8L << 30, ["3", "7"]), TimeSpan.FromSeconds(60), time);
        var first = pool.Grant(new TrialNeeds(1, 1L << 30, 1000)).ShouldNotBeNull();
        var second = pool.Grant(new TrialNeeds(1, 1L << 30, 1000)).ShouldNotBeNull();
        first.GpuNames.Concat(second.GpuNames).Order().ShouldBe(["3", "7"]);
        pool.Grant(new TrialNeeds(1, 0, 500)).ShouldBeNull();
        pool.Grant(TrialNeeds.None).ShouldBe(ResourceGrant.None);
        pool.Return(first, started: false);
        pool.Grant(new TrialNeeds(1, 0, 500)).ShouldNotBeNull().GpuNames.ShouldBe(first.GpuNames);

        var budget = pool.Budget();
        budget.Strict.ShouldBeFalse();
        budget.Pack([("big", new TrialNeeds(4, 0)), ("small", new TrialNeeds(1, 0))], 2).ShouldBe([false, true]);
        pool.Claimed(budget);
        time.Advance(TimeSpan.FromSeconds(61));
        pool.Budget().Strict.ShouldBeTrue();
    }

    [Fact]
    public async Task Short_trials_are_claimed_ahead_but_start_only_when_their_cores_are_free()
    {
        var pool = new ResourcePool(new MachineCapacity(2, 1L << 30, []), TimeSpan.FromSeconds(60));
        pool.Budget(ahead: 0).FreeCpus.ShouldBe(2);
        pool.Budget(ahead: 1).FreeCpus.ShouldBe(4);
        var a = pool.Grant(new TrialNeeds(2, 0)).ShouldNotBeNull();
        var b = pool.Grant(new TrialNeeds(2, 0)).ShouldNotBeNull(); // claimed ahead
        pool.Grant(new TrialNeeds(1, 0)).ShouldBeNull();
        await pool.StartAsync(a, CancellationToken.None);
        var second = pool.StartAsync(b, CancellationToken.None);
        await Task.Delay(50);
        second.IsCompleted.ShouldBeFalse(); // a holds both cores
        pool.Stopped(a); // a's processes ended: b may start before a's outcome is written
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        pool.Grant(new TrialNeeds(1, 0)).ShouldBeNull(); // a's claim still holds until then
        pool.Return(a, started: false);
        using var cancelled = new CancellationTokenSource();
        var c = pool.Grant(new TrialNeeds(1, 0)).ShouldNotBeNull();
        var third = pool.StartAsync(c, cancelled.Token);
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(third);
    }

    [Fact]
    public void Usage_round_trips_through_its_stored_json_and_reads_damaged_json_as_none()
    {
        var usage = new TrialUsage { Cpus = 2, Gpus = ["0"], GpuMilli = 500, WallSeconds = 10, CpuUserSeconds = 12, CpuSystemSeconds = 2, PeakMemoryBytes = 3L << 30 };
        var read = TrialUsage.FromJson(usage.ToJson()).ShouldNotBeNull();
        read.ShouldBe(usage with { Gpus = read.Gpus });
        read.Gpus.ShouldBe(["0"]);
        read.CpuEfficiency.ShouldBe(0.7);
        read.ToString().ShouldBe("2 cpus; gpu 0 (0.5 of it); cpu 12 s user + 2 s system (70% of 2 cores); peak memory 3 GiB");
        TrialUsage.FromJson("{").ShouldBeNull();
        // Hostile or damaged rows read as not measured, never as an exception.
        var odd = TrialUsage.FromJson("""{"cpus": "2", "gpus": [1, null, "0"], "wall_seconds": "x", "peak_memory_bytes": -5, "cpu_user_seconds": 1e400, "gpu_share": true}""").ShouldNotBeNull();
        odd.Cpus.ShouldBe(0);
        odd.Gpus.ShouldBe(["0"]);
        odd.PeakMemoryBytes.ShouldBeNull();
        odd.ToString().ShouldBe("gpu 0");
        TrialUsage.FromJson(new string('[', 100) + new string(']', 100)).ShouldBeNull();
        var plan = ResourcePlan.FromStored(System.Text.Json.JsonDocument.Parse("""{"priority": "high", "resources": {"cpus": "x", "memory_bytes": [1], "gpus": "all", "when": [{"where": "((((", "gpus": 1}, 5]}}""").RootElement);
        plan.Declared.ShouldBeTrue();
        plan.Priority.ShouldBe(0);
        plan.Base.ShouldBe(new TrialNeeds(1, 0, 0));
        plan.Rules.ShouldBeEmpty();
        TrialUsage.FromJson("[1]").ShouldBeNull();
        TrialUsage.FromJson(null).ShouldBeNull();
    }

    [Fact]
    public void What_a_trial_used_is_a_metric_by_name_unless_a_result_has_that_name()
    {
        var usage = new TrialUsage { Cpus = 2, WallSeconds = 10, CpuUserSeconds = 12, CpuSystemSeconds = 2, PeakMemoryBytes = 300L << 20 };
        Expt.Storage.TrialRecord Record(string results) => new() { Id = "a", StudyId = "1", StudyName = "s", Key = "k", ParamsJson = "{}", ResultsJson = results, UsageJson = usage.ToJson() };
        var trial = Record("""{"loss": 1}""");
        Expt.Analysis.ResultValues.Number(trial, "usage.peak_memory_mb").ShouldBe(300);
        Expt.Analysis.ResultValues.Number(trial, "usage.cpu_seconds").ShouldBe(14);
        Expt.Analysis.ResultValues.Number(trial, "usage.cpu_efficiency").ShouldBe(0.7);
        Expt.Analysis.ResultValues.Number(trial, "usage.nothing").ShouldBeNull();
        Expt.Analysis.ResultValues.Number(Record("""{"usage.cpu_seconds": 3}"""), "usage.cpu_seconds").ShouldBe(3);
        var rows = new[] { new Expt.Analysis.TrialResult(trial), new Expt.Analysis.TrialResult(Record("{}") with { UsageJson = (usage with { PeakMemoryBytes = 900L << 20 }).ToJson() }) };
        Expt.Analysis.TrialQuery.Parse(null, null, null, "-usage.peak_memory_mb").Select(rows, null).ShouldBe([1, 0]);
    }

    [Theory]
    [InlineData("0,1,3", new[] { "0", "1", "3" })]
    [InlineData("none", new string[0])]
    [InlineData("GPU-5f2c0b2e-aaaa", new[] { "GPU-5f2c0b2e-aaaa" })]
    public void Gpu_lists_parse(string text, string[] expected) => MachineCapacity.ParseGpus(text).ShouldBe(expected);

    [Theory]
    [InlineData("0,0")]
    [InlineData("0,,1")]
    [InlineData("$(reboot)")]
    [InlineData("all")]
    [InlineData("-1")]
    [InlineData("gpu0")]
    [InlineData("12345")]
    public void Bad_gpu_lists_are_refused(string text) => Should.Throw<FormatException>(() => MachineCapacity.ParseGpus(text));

    [Fact]
    public void Visible_devices_are_what_a_worker_was_given()
    {
        CapacityDetector.VisibleGpus(n => n == "CUDA_VISIBLE_DEVICES" ? "2,3" : null).ShouldBe(["2", "3"]);
        CapacityDetector.VisibleGpus(n => n == "CUDA_VISIBLE_DEVICES" ? "" : null).ShouldBe([]);
        CapacityDetector.VisibleGpus(n => n == "SLURM_JOB_GPUS" ? "1" : null).ShouldBe(["1"]);
        CapacityDetector.VisibleGpus(_ => null).ShouldBeNull();
        var cores = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var capacity = CapacityDetector.Detect(null, null, null, n => n switch { "SLURM_CPUS_PER_TASK" => cores, "SLURM_MEM_PER_NODE" => "2048", "CUDA_VISIBLE_DEVICES" => "0", _ => null });
        capacity.ShouldBe(new MachineCapacity(Environment.ProcessorCount, 2048L << 20, ["0"]), new CapacityComparer());
        CapacityDetector.Detect(3, 1L << 30, [], _ => null).ShouldBe(new MachineCapacity(3, 1L << 30, []), new CapacityComparer());
    }

    [Fact]
    public void A_slurm_allocation_beyond_the_machine_is_not_trusted()
    {
        var warnings = new List<string>();
        var total = MachineCapacity.ReadMemInfo()!.Value.Total;
        var capacity = CapacityDetector.Detect(null, null, [], n => n switch { "SLURM_CPUS_PER_TASK" => "999999", "SLURM_MEM_PER_NODE" => "9007199254740", _ => null }, warnings.Add);
        capacity.Cpus.ShouldBe(Environment.ProcessorCount);
        capacity.MemoryBytes.ShouldBe(total);
        capacity.MemoryBytes.ShouldBePositive();
        warnings.Count.ShouldBe(2);
        warnings[0].ShouldBe($"SLURM_CPUS_PER_TASK=999999 is more than this machine's {Environment.ProcessorCount} cores; {Environment.ProcessorCount} are used");
        warnings[1].ShouldStartWith("SLURM_MEM_PER_NODE=9007199254740 (MiB) is more than this machine's ");
        // At the edge of overflow (a value whose bytes do not fit in 64 bits) as well.
        CapacityDetector.Detect(null, null, [], n => n == "SLURM_MEM_PER_NODE" ? long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : null).MemoryBytes.ShouldBe(total);
    }

    [Fact]
    public void Gpus_all_is_every_gpu_nvidia_smi_lists_and_no_device_is_named_all()
    {
        var capacity = CapacityDetector.Detect(1, 1L << 30, CapacityDetector.AllGpus, _ => null);
        capacity.Gpus.ShouldBe(CapacityDetector.QuerySmi() ?? []);
        capacity.Gpus.ShouldNotContain("all");
    }

    /// <summary>A clock whose timestamps move only when told (the pool measures waits with them).</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private sealed class CapacityComparer : IEqualityComparer<MachineCapacity>
    {
        public bool Equals(MachineCapacity? x, MachineCapacity? y) => x!.Cpus == y!.Cpus && x.MemoryBytes == y.MemoryBytes && x.Gpus.SequenceEqual(y.Gpus);

        public int GetHashCode(MachineCapacity obj) => obj.Cpus;
    }
}
