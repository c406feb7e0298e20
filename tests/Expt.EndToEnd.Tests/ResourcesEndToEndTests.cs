using System.Globalization;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Trials scheduled by what they need, as a user runs them: GPUs given by <c>--gpus</c> (this machine has none, so
/// devices are named and a stand-in <c>nvidia-smi</c> answers discovery), cores and thread counts, a memory limit,
/// and the usage each trial records.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ResourcesEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // Each trial writes what it was given and when it ran (start and end, in ns) into its directory.
    private static string GpuStudy(string gpus) => $$"""
        name: gpu
        shell: true
        command: |
          echo "$CUDA_VISIBLE_DEVICES $(date +%s%N)" > "$EXPT_TRIAL_DIR/start"; sleep 1; date +%s%N > "$EXPT_TRIAL_DIR/end"
        params:
          x: range(6)
        resources:
          gpus: {{gpus}}
        """;

    private sealed record Span(string Trial, string Devices, long Start, long End);

    // Each trial's directory holds "start" ("[DEVICES ]NANOSECONDS") and "end" (NANOSECONDS).
    private List<Span> Spans(string study) =>
        [.. Directory.GetDirectories(Path.Combine(_cli.Directory, ".expt", "runs", study)).Select(dir =>
        {
            var start = File.ReadAllText(Path.Combine(dir, "start")).Trim().Split(' ');
            return new Span(Path.GetFileName(dir), start.Length == 2 ? start[0] : string.Empty, long.Parse(start[^1], CultureInfo.InvariantCulture), long.Parse(File.ReadAllText(Path.Combine(dir, "end")).Trim(), CultureInfo.InvariantCulture));
        })];

    private static int MostAtOnce(IEnumerable<Span> spans) =>
        spans.Select(s => spans.Count(o => o.Start <= s.Start && s.Start < o.End)).Max();

    [Fact]
    public async Task Whole_gpus_go_one_trial_each_and_halves_two_per_device()
    {
        _cli.Write("gpu.yaml", GpuStudy("1"));
        var run = await _cli.RunAsync("run", "gpu.yaml", "--gpus", "0,1", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("resources: 2 cpus");
        run.Stderr.ShouldContain("gpus 0,1; each trial needs 1 cpu, 1 gpu");
        var spans = Spans("gpu");
        spans.Count.ShouldBe(6);
        spans.ShouldAllBe(s => s.Devices == "0" || s.Devices == "1");
        MostAtOnce(spans).ShouldBe(2);
        foreach (var device in spans.GroupBy(s => s.Devices))
        {
            MostAtOnce(device).ShouldBe(1, $"device {device.Key} was held by two trials at once");
        }

        var json = (await _cli.RunAsync("ls", "--study", "gpu", "--format", "json")).Json().EnumerateArray().First();
        json.GetProperty("needs").GetProperty("gpus").GetDouble().ShouldBe(1);
        var usage = json.GetProperty("usage");
        usage.GetProperty("gpus").EnumerateArray().Single().GetString().ShouldBeOneOf("0", "1");
        usage.GetProperty("wall_seconds").GetDouble().ShouldBeGreaterThan(0.9);

        // Halves: four at once (the machine has 2 cores, so --cpus 4 lets four run), two on each device.
        _cli.Write("half.yaml", GpuStudy("0.5").Replace("name: gpu", "name: half", StringComparison.Ordinal));
        run = await _cli.RunAsync("run", "half.yaml", "--gpus", "0,1", "--cpus", "4", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        spans = Spans("half");
        spans.ShouldAllBe(s => s.Devices == "0" || s.Devices == "1");
        MostAtOnce(spans).ShouldBe(4);
        foreach (var device in spans.GroupBy(s => s.Devices))
        {
            MostAtOnce(device).ShouldBeLessThanOrEqualTo(2, $"device {device.Key} was shared by more than two halves");
        }
    }

    [Fact]
    public async Task Gpus_are_found_by_nvidia_smi_and_a_trial_without_gpus_sees_none()
    {
        // A stand-in nvidia-smi answering the query interface as the real one does.
        var bin = Path.Combine(_cli.Directory, "bin");
        _cli.Write("bin/nvidia-smi", "#!/bin/sh\ncase \"$1\" in\n--query-gpu=index) printf '0\\n1\\n2\\n';;\n--query-gpu=index,uuid,memory.used,utilization.gpu,power.draw) printf '0, GPU-a, 100, 10, 50.5\\n1, GPU-b, 1234, 56, 200.00\\n2, GPU-c, 0, 0, [N/A]\\n';;\n*) exit 6;;\nesac\n");
        using (var chmod = System.Diagnostics.Process.Start("chmod", ["+x", Path.Combine(bin, "nvidia-smi")]))
        {
            chmod.WaitForExit();
        }
        _cli.Write("cpu.yaml", """
            name: cpu
            shell: true
            command: echo "[$CUDA_VISIBLE_DEVICES] $EXPT_CPUS $OMP_NUM_THREADS $MKL_NUM_THREADS" > "$EXPT_TRIAL_DIR/seen"
            params:
              x: [1, 2]
            resources:
              cpus: 2
            env:
              MKL_NUM_THREADS: 7
            """);
        var env = new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") };
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "cpu.yaml", "-q"], env);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("gpus 0,1,2");
        foreach (var dir in Directory.GetDirectories(Path.Combine(_cli.Directory, ".expt", "runs", "cpu")))
        {
            // No GPU for a trial that declared none; its cores as the thread count, but the study's own setting kept.
            File.ReadAllText(Path.Combine(dir, "seen")).Trim().ShouldBe("[] 2 2 7");
        }

        // A GPU trial's devices are sampled while it runs (memory used and utilisation of its device).
        _cli.Write("gpu.yaml", "name: gpu-used\ncommand: sleep 2.5\nresources:\n  gpus: 1\n");
        run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "gpu.yaml", "--gpus", "1", "-q"], env);
        run.ExitCode.ShouldBe(0, run.ToString());
        var usage = (await _cli.RunAsync("ls", "--study", "gpu-used", "--format", "json")).Json().EnumerateArray().Single().GetProperty("usage");
        usage.GetProperty("gpus").EnumerateArray().Single().GetString().ShouldBe("1");
        usage.GetProperty("gpu_peak_memory_bytes").GetInt64().ShouldBe(1234L << 20);
        usage.GetProperty("gpu_utilization").GetDouble().ShouldBe(56);
        // Its energy: the device's power draw over its wall time, with the CPU's and memory's, and the method named.
        usage.GetProperty("gpu_power_watts").GetDouble().ShouldBe(200);
        var wall = usage.GetProperty("wall_seconds").GetDouble();
        usage.GetProperty("energy_gpu_wh").GetDouble().ShouldBe(200 * wall / 3600, 1e-4);
        usage.GetProperty("energy_wh").GetDouble().ShouldBeGreaterThan(usage.GetProperty("energy_gpu_wh").GetDouble());
        usage.GetProperty("energy_method").GetString()!.ShouldContain("gpu: nvidia-smi power draw");
        usage.GetProperty("co2_g").GetDouble().ShouldBe(usage.GetProperty("energy_wh").GetDouble() / 1000 * 475, 1e-5);
    }

    [Fact]
    public async Task Energy_and_co2_are_recorded_for_a_cpu_trial_from_rapl_where_readable_else_from_cpu_time_and_shown_everywhere()
    {
        // A stand-in RAPL tree: the trial itself advances the package counter by 36 J.
        var rapl = Path.Combine(_cli.Directory, "powercap", "intel-rapl:0");
        Directory.CreateDirectory(rapl);
        File.WriteAllText(Path.Combine(rapl, "energy_uj"), "1000000\n");
        _cli.Write("burn.yaml", $$"""
            name: burn
            shell: true
            command: python3 -c "sum(i * i for i in range(2000000))"; [ {x} = 1 ] || echo 37000000 > '{{rapl}}/energy_uj'
            params:
              x: [1, 2]
            parallel: 1
            """);
        var env = new Dictionary<string, string> { ["EXPT_CARBON_INTENSITY"] = "100", ["EXPT_POWERCAP"] = Path.Combine(_cli.Directory, "powercap") };
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "burn.yaml", "-q"], env);
        run.ExitCode.ShouldBe(0, run.ToString());
        var trials = (await _cli.RunAsync("ls", "--study", "burn", "--format", "json")).Json().EnumerateArray().ToList();
        var measured = trials.Single(t => t.GetProperty("params").GetProperty("x").GetInt32() == 2).GetProperty("usage");
        measured.GetProperty("energy_method").GetString()!.ShouldStartWith("estimate; cpu: RAPL package energy × the trial's share of CPU time");
        measured.GetProperty("energy_cpu_wh").GetDouble().ShouldBeInRange(0.0001, 36.0 / 3600);
        measured.GetProperty("energy_method").GetString()!.ShouldEndWith("CO2: 100 g/kWh");
        measured.GetProperty("co2_g").GetDouble().ShouldBe(measured.GetProperty("energy_wh").GetDouble() / 10, 1e-6);

        // Without RAPL (this machine's /sys/class/powercap, or none): CPU time × the power per core.
        _cli.Write("plain.yaml", "name: plain\ncommand: python3 -c \"sum(i * i for i in range(2000000))\"\n");
        run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "plain.yaml", "-q"], new Dictionary<string, string> { ["EXPT_POWERCAP"] = Path.Combine(_cli.Directory, "none"), ["EXPT_CPU_WATTS_PER_CORE"] = "20" });
        run.ExitCode.ShouldBe(0, run.ToString());
        var plain = (await _cli.RunAsync("ls", "--study", "plain", "--format", "json")).Json().EnumerateArray().Single().GetProperty("usage");
        var cpu = plain.GetProperty("cpu_user_seconds").GetDouble() + plain.GetProperty("cpu_system_seconds").GetDouble();
        plain.GetProperty("energy_cpu_wh").GetDouble().ShouldBe(cpu * 20 / 3600, 1e-5);
        plain.GetProperty("energy_method").GetString()!.ShouldStartWith("estimate; cpu: CPU time × 20 W per core (no RAPL)");

        // In expt show, the CSV export (with its method) and the summary.
        var id = trials[0].GetProperty("id").GetString()!;
        (await _cli.RunAsync("show", id)).Stdout.ShouldContain("g CO2 (estimate; cpu: ");
        var csv = (await _cli.RunAsync("export", "burn", "--format", "csv")).Stdout.Split('\n')[0];
        csv.ShouldContain("usage.energy_wh,usage.co2_g,usage.energy_method");
        var summary = await _cli.RunAsync("summary", "burn");
        summary.Stderr.ShouldContain("energy: ");
        summary.Stderr.ShouldContain("g CO2 over 2 trials (estimate; ");
        (await _cli.RunAsync("summary", "burn", "--metric", "usage.co2_g")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task A_trial_past_its_memory_limit_is_killed_as_out_of_memory_and_peak_memory_is_recorded()
    {
        _cli.Write("mem.yaml", """
            name: mem
            command: python3 -c "import time; b = b'\\x01' * ({mb} << 20); time.sleep(1.5)"
            params:
              mb: [20, 300]
            resources:
              memory: 100M
              memory_limit: 200M
            """);
        var run = await _cli.RunAsync("run", "mem.yaml", "-q");
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = (await _cli.RunAsync("ls", "--study", "mem", "--format", "json")).Json().EnumerateArray().ToList();
        var small = trials.Single(t => t.GetProperty("params").GetProperty("mb").GetInt32() == 20);
        var big = trials.Single(t => t.GetProperty("params").GetProperty("mb").GetInt32() == 300);
        small.GetProperty("status").GetString().ShouldBe("completed");
        small.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64().ShouldBeInRange(20L << 20, 200L << 20);
        big.GetProperty("status").GetString().ShouldBe("failed");
        var error = big.GetProperty("error").GetString().ShouldNotBeNull();
        error.ShouldStartWith("out of memory: the trial's processes ");
        error.ShouldContain("memory_limit of 200 MiB");
        error.ShouldContain("its processes were ended");
        // The kernel's limit on the trial's group stops it at 200 MiB exactly; sampling sees it somewhat past.
        big.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64().ShouldBeGreaterThanOrEqualTo(200L << 20);
        var summary = await _cli.RunAsync("summary", "mem", "--metric", "usage.peak_memory_mb", "--format", "json");
        summary.ExitCode.ShouldBe(0, summary.ToString());
        summary.Json().EnumerateArray().Single(g => g.GetProperty("mb").GetInt32() == 20).GetProperty("mean").GetDouble().ShouldBeInRange(20, 200);
        var show = await _cli.RunAsync("show", small.GetProperty("id").GetString()!);
        show.Stdout.ShouldContain("needs         1 cpu, 100 MiB, limit 200 MiB");
        show.Stdout.ShouldContain("peak memory");
    }

    [Fact]
    public async Task Trials_that_need_more_than_the_machine_has_are_said_to_stay_pending_and_the_run_does_not_pass()
    {
        _cli.Write("big.yaml", "name: big\ncommand: \"true\"\nparams:\n  x: [1, 2]\nresources:\n  gpus: 4\n  when:\n    - where: x == 2\n      gpus: 1\n");
        var run = await _cli.RunAsync("run", "big.yaml", "--gpus", "0,1", "-q");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Stderr.ShouldContain("1 completed, 0 failed, 1 not run;");
        run.Stderr.ShouldContain("1 trial needs more than this machine has (2 cpus, ");
        run.Stderr.ShouldContain("gpus 0,1); it stays pending for a worker with room: expt worker --study big on a bigger machine");
    }

    [Fact]
    public async Task Trials_that_each_need_300_MiB_are_packed_three_at_a_time_into_1_GiB()
    {
        _cli.Write("pack.yaml", """
            name: pack
            shell: true
            command: |
              date +%s%N > "$EXPT_TRIAL_DIR/start"
              python3 -c 'import time; b = b"\x01" * (300 << 20); time.sleep(1)'
              date +%s%N > "$EXPT_TRIAL_DIR/end"
            params:
              i: range(8)
            resources:
              memory: 300M
            """);
        var run = await _cli.RunAsync("run", "pack.yaml", "--memory", "1G", "--cpus", "8", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        var spans = Spans("pack");
        spans.Count.ShouldBe(8);
        MostAtOnce(spans).ShouldBe(3); // 3 × 300 MiB fit in 1 GiB, 4 do not
        var trials = (await _cli.RunAsync("ls", "--study", "pack", "--format", "json")).Json().EnumerateArray().ToList();
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        // Each really held its 300 MiB, so three at once held what the budget allowed and no more.
        trials.ShouldAllBe(t => t.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64() >= 300L << 20);
        trials.ShouldAllBe(t => t.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64() < 400L << 20);
    }

    [Fact]
    public async Task Memory_auto_runs_the_first_trial_alone_and_packs_the_rest_by_what_it_measured()
    {
        _cli.Write("auto.yaml", """
            name: auto
            shell: true
            command: |
              date +%s%N > "$EXPT_TRIAL_DIR/start"
              python3 -c 'import time; b = b"\x01" * (300 << 20); time.sleep(1)'
              date +%s%N > "$EXPT_TRIAL_DIR/end"
            params:
              i: range(5)
            resources:
              memory: auto
            """);
        var run = await _cli.RunAsync("run", "auto.yaml", "--memory", "1G", "--cpus", "8", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stderr.ShouldContain("memory measured on the first trial (auto)");
        var trials = (await _cli.RunAsync("ls", "--study", "auto", "--format", "json")).Json().EnumerateArray().ToList();
        trials.ShouldAllBe(t => t.GetProperty("status").GetString() == "completed");
        var probe = trials.Single(t => t.GetProperty("params").GetProperty("i").GetInt32() == 0);
        probe.GetProperty("needs").GetProperty("memory_bytes").GetInt64().ShouldBe(0);
        // The rest were given the probe's peak and a quarter more: two of them fit in 1 GiB, three do not.
        trials.Where(t => t.GetProperty("params").GetProperty("i").GetInt32() != 0).ShouldAllBe(t => t.GetProperty("needs").GetProperty("memory_bytes").GetInt64() > 300L << 20);
        var spans = Spans("auto");
        var first = spans.Single(s => s.Trial == probe.GetProperty("id").GetString());
        spans.Where(s => s != first).ShouldAllBe(s => s.Start >= first.End); // the probe ran alone
        MostAtOnce(spans.Where(s => s != first).ToList()).ShouldBe(2);
    }

    [Fact]
    public async Task Bad_capacity_options_are_one_line_and_nothing_is_written()
    {
        _cli.Write("gpu.yaml", GpuStudy("1"));
        foreach (var (args, message) in new[]
        {
            (new[] { "--gpus", "0,0" }, "error: --gpus: '0,0' names a device twice"),
            (new[] { "--memory", "lots" }, "error: --memory: expected a size such as 512M or 64G, got 'lots'"),
            (new[] { "--cpus", "0" }, "error: --cpus: expected a number of cores from 1 to 65536, got 0"),
        })
        {
            var run = await _cli.RunAsync(["run", "gpu.yaml", .. args]);
            run.ExitCode.ShouldBe(2, run.ToString());
            run.Stderr.Trim().ShouldBe(message);
        }
        File.Exists(Path.Combine(_cli.Directory, ".expt", "expt.db")).ShouldBeFalse();
    }
}
