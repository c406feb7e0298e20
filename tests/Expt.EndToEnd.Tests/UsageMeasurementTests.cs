using System.Globalization;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// What a trial used is measured on the trial's own processes, not on Expt's: trials of known sizes (1 MB, 100 MB,
/// 500 MB, a sleep) record their size; a grandchild that detaches (a double fork, a new session, a cleared environment)
/// is measured and ended; memory_limit and memory: auto work from true figures. Each measuring method is tried: the
/// control groups this machine allows (what runs by default) and sampling (EXPT_MEASURE=sampled). Real processes.
/// </summary>
[Trait("Category", "Slow")]
public sealed class UsageMeasurementTests : IDisposable
{
    private const long MiB = 1L << 20;
    private readonly ExptCli _cli = new();

    public UsageMeasurementTests() => _cli.Write("hold.py", "import sys, time\nb = b'\\x01' * (int(float(sys.argv[1]) * (1 << 20)))\ntime.sleep(float(sys.argv[2]))\n");

    public void Dispose() => _cli.Dispose();

    private static Dictionary<string, string> Sampled => new() { ["EXPT_MEASURE"] = "sampled" };

    // The v2 hierarchy alone (a v1 one aside): groups hold the processes, memory is sampled over them unless the v2
    // memory controller is handed down to this runner (here it is bound to v1, as on hybrid machines).
    private static Dictionary<string, string> V2Only => new() { ["EXPT_MEASURE"] = "cgroup2" };

    private async Task<List<System.Text.Json.JsonElement>> TrialsAsync(string study) =>
        [.. (await _cli.RunAsync("ls", "--study", study, "--format", "json")).Json().EnumerateArray()];

    private static long Peak(System.Text.Json.JsonElement trial) => trial.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64();

    private static string Method(System.Text.Json.JsonElement trial) => trial.GetProperty("usage").GetProperty("memory_method").GetString()!;

    // What this machine allows a root process: control groups of its own (the CI machines do).
    private static bool CgroupsWritable => Environment.UserName == "root" && Directory.Exists("/sys/fs/cgroup");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Trials_of_known_sizes_record_their_own_size_not_the_runners(bool sampled)
    {
        var env = sampled ? Sampled : new Dictionary<string, string>();
        await KnownSizesAsync(env, sampled);
    }

    [Fact]
    public async Task With_the_v2_hierarchy_alone_trials_of_known_sizes_record_their_own_size()
    {
        await KnownSizesAsync(V2Only, sampled: false);
        var method = Method((await TrialsAsync("sleep")).Single());
        method.ShouldBeOneOf("cgroup v2", "sampled (cgroup v2 membership)");
    }

    private async Task KnownSizesAsync(Dictionary<string, string> env, bool sampled)
    {
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "sizes", "--set", "mb=1,100,500", "-j", "1", "--", "python3", "hold.py", "{mb}", "0.5"], env);
        run.ExitCode.ShouldBe(0, run.ToString());
        var sleep = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "sleep", "--set", "x=1", "--", "sleep", "0.3"], env);
        sleep.ExitCode.ShouldBe(0, sleep.ToString());

        var trials = (await TrialsAsync("sizes")).ToDictionary(t => t.GetProperty("params").GetProperty("mb").GetInt32());
        // Python itself is about 10 MiB; what the trial holds comes on top, and nothing of Expt's ~70 MiB.
        Peak(trials[1]).ShouldBeInRange(1 * MiB, 30 * MiB);
        Peak(trials[100]).ShouldBeInRange(100 * MiB, 135 * MiB);
        Peak(trials[500]).ShouldBeInRange(500 * MiB, 540 * MiB);
        var slept = (await TrialsAsync("sleep")).Single();
        Peak(slept).ShouldBeLessThan(16 * MiB, "a sleep holds a megabyte or two, not the runner's size");
        var method = Method(slept);
        method.ShouldBe(sampled ? "sampled" : CgroupsWritable ? method : "sampled");
        if (!sampled && CgroupsWritable)
        {
            method.ShouldContain("cgroup v");
        }
        trials.Values.ShouldAllBe(t => Method(t) == method);
        (await _cli.RunAsync("show", slept.GetProperty("id").GetString()!)).Stdout.ShouldContain($"({method})");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_detached_grandchild_holding_300_MB_is_measured_and_ended(bool v2Only)
    {
        // A double fork (the subshell), a new session (setsid) and a cleared environment (env -i): nothing ties it to
        // the trial but the trial's control group.
        var hold = Path.Combine(_cli.Directory, "hold.py");
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "detach", "--set", "x=1", "--", "sh", "-c",
            $"(env -i /usr/bin/setsid /usr/bin/python3 {hold} 300 60 &) ; sleep 2"], v2Only ? V2Only : new Dictionary<string, string>());
        run.ExitCode.ShouldBe(0, run.ToString());
        var trial = (await TrialsAsync("detach")).Single();
        Method(trial).ShouldContain("cgroup v", customMessage: "only a control group holds a process that detached every way");
        Peak(trial).ShouldBeGreaterThanOrEqualTo(300 * MiB);
        trial.GetProperty("error").GetString()!.ShouldContain("left processes running; they were ended");
        Holding(hold).ShouldBeEmpty();
    }

    /// <summary>Live (not zombie) processes whose command line names <paramref name="script"/>.</summary>
    private static List<int> Holding(string script) => [.. Directory.GetDirectories("/proc")
        .Where(d => int.TryParse(Path.GetFileName(d), out _))
        .Where(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(script, StringComparison.Ordinal)
                    && !File.ReadAllText(Path.Combine(d, "stat")).Contains(") Z ", StringComparison.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        })
        .Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))];

    [Fact]
    public async Task Sampling_follows_a_child_into_its_own_session_and_ends_it()
    {
        var hold = Path.Combine(_cli.Directory, "hold.py");
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "--name", "session", "--set", "x=1", "--", "sh", "-c", $"setsid python3 {hold} 100 60 & sleep 1.5"], Sampled);
        run.ExitCode.ShouldBe(0, run.ToString());
        var trial = (await TrialsAsync("session")).Single();
        Method(trial).ShouldBe("sampled");
        Peak(trial).ShouldBeGreaterThanOrEqualTo(100 * MiB);
        trial.GetProperty("error").GetString()!.ShouldContain("they were ended");
        Holding(hold).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_16M_memory_limit_lets_a_sleep_run_and_stops_a_trial_that_passes_it(bool sampled)
    {
        _cli.Write("limit.yaml", "name: limit\ncommand: python3 hold.py {mb} 1\nparams:\n  mb: [0, 100]\nresources:\n  memory_limit: 64M\n");
        _cli.Write("sleep.yaml", "name: nap\ncommand: sleep 0.3\nresources:\n  memory_limit: 16M\n");
        var env = sampled ? Sampled : new Dictionary<string, string>();
        (await _cli.RunAsync(ExptCli.ExptDll, ["run", "sleep.yaml"], env)).ExitCode.ShouldBe(0);
        var run = await _cli.RunAsync(ExptCli.ExptDll, ["run", "limit.yaml"], env);
        run.ExitCode.ShouldBe(1, run.ToString());
        var trials = (await TrialsAsync("limit")).ToDictionary(t => t.GetProperty("params").GetProperty("mb").GetInt32());
        trials[0].GetProperty("status").GetString().ShouldBe("completed");
        trials[100].GetProperty("status").GetString().ShouldBe("failed");
        trials[100].GetProperty("error").GetString()!.ShouldStartWith("out of memory: the trial's processes ");
        trials[100].GetProperty("error").GetString()!.ShouldContain("memory_limit of 64 MiB");
    }

    [Fact]
    public async Task Memory_auto_learns_what_a_trial_really_holds_and_packs_five_in_200M()
    {
        _cli.Write("auto.yaml", """
            name: auto
            shell: true
            command: |
              date +%s%N > "$EXPT_TRIAL_DIR/span"
              python3 hold.py 15 1.5
              date +%s%N >> "$EXPT_TRIAL_DIR/span"
            params:
              i: range(9)
            resources:
              memory: auto
            """);
        var run = await _cli.RunAsync("run", "auto.yaml", "--memory", "200M", "--cpus", "8", "-q");
        run.ExitCode.ShouldBe(0, run.ToString());
        var trials = await TrialsAsync("auto");
        // About 25 MiB measured (python and its 15 MiB), 31 MiB with the margin: five or six fit in 200 MiB.
        trials.Where(t => t.GetProperty("params").GetProperty("i").GetInt32() != 0)
            .ShouldAllBe(t => t.GetProperty("needs").GetProperty("memory_bytes").GetInt64() < 50 * MiB);
        var spans = Directory.GetDirectories(Path.Combine(_cli.Directory, ".expt", "runs", "auto"))
            .Select(d => File.ReadAllLines(Path.Combine(d, "span")).Select(l => long.Parse(l, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var most = spans.Select(s => spans.Count(o => o[0] <= s[0] && s[0] < o[1])).Max();
        most.ShouldBeGreaterThanOrEqualTo(4, "trials measured at their own size pack several to 200 MiB (the runner's size ran them two at a time)");
    }
}
