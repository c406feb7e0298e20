using System.Globalization;
using System.Runtime.CompilerServices;
using Expt.Storage;
using Expt.Storage.Sqlite;
using Expt.Trials;

namespace Expt.Cli.Tests;

/// <summary>
/// What every listing looks like on terminals of 60, 80, 120 and 200 columns, for the quickstart and for a study of 12
/// parameters and 8 results: the rendered text, kept as snapshots (Snapshots/*.txt; EXPT_UPDATE_SNAPSHOTS=1 rewrites
/// them). Trials are completed with fixed results and durations at a fixed time, so the text is the same every run.
/// </summary>
public sealed class TableSnapshotTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly InProcessCli _cli = new() { Time = new FixedTime(Now), Terminal = true };

    public void Dispose() => _cli.Dispose();

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private const string Wide = """
        name: wide
        command: "true"
        params:
          p01_learning_rate: [0.001, 0.01]
          p02_batch_size: [32, 128]
          p03_optimizer: [adam]
          p04_weight_decay: 0.0001
          p05_dropout: 0.1
          p06_hidden_units: 256
          p07_layers: 4
          p08_activation: relu
          p09_warmup_steps: 500
          p10_scheduler: cosine
          p11_epochs: 30
          p12_dataset: [cifar10, svhn]
        objectives:
          r5_val_accuracy: maximize
        replications: 2
        """;

    private async Task SeedAsync()
    {
        File.Copy(Path.Combine(Root(), "examples", "quickstart", "anneal.py"), Path.Combine(_cli.Directory, "anneal.py"));
        File.Copy(Path.Combine(Root(), "examples", "quickstart", "expt.yaml"), Path.Combine(_cli.Directory, "expt.yaml"));
        _cli.Write("wide.yaml", Wide);
        _cli.Terminal = false;
        (await _cli.RunAsync("run", "expt.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        (await _cli.RunAsync("run", "wide.yaml", "--enqueue-only")).Exit.ShouldBe(0);
        _cli.Terminal = true;
        await using var store = await SqliteStore.OpenAsync(Path.Combine(_cli.Directory, ".expt", "expt.db"), new SqliteStoreOptions(), new FixedTime(Now));
        foreach (var study in new[] { "quickstart", "wide" })
        {
            var id = (await store.GetStudyAsync(study))!.Id;
            var leases = await store.ClaimAsync(new ClaimRequest(new WorkerIdentity("w", "host-a", 1), 1000, TimeSpan.FromMinutes(5), id));
            var completions = leases.Select((l, i) => new TrialCompletion(l, new TrialOutcome(TrialStatus.Completed, TimeSpan.FromMilliseconds(1200 + (37 * i)), Results(study, l, i)))).ToList();
            (await store.CompleteAsync(completions)).ShouldAllBe(ok => ok);
        }
    }

    // Results that differ by point and replicate in a fixed way, shaped as each study's trials report them.
    private static string Results(string study, TrialLease lease, int index)
    {
        var p = Spec.ParamSet.FromJson(lease.ParamsJson);
        var k = (index % 7) + (lease.Replicate * 0.25);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (study == "quickstart")
        {
            var problem = p.Get<string>("problem");
            var scale = problem switch { "rastrigin" => 8.8, "ackley" => 3.2, _ => 1.4 } * (p.Get<double>("cooling") > 0.95 ? 0.6 : 1);
            return $$"""{"best":{{F(scale + (0.137 * k))}},"accept_rate":{{F(0.17 + (0.011 * k))}},"final_temperature":{{F(0.0515 * (1 + k))}},"distance_to_optimum":{{F(2.26 - (0.05 * k))}}}""";
        }
        var lr = p.Get<double>("p01_learning_rate");
        return $$"""{"r1_train_loss":{{F(0.5 - (lr * 10) + (0.01 * k))}},"r2_val_loss":{{F(0.61 + (0.01 * k))}},"r3_train_accuracy":{{F(0.9 + (0.001 * k))}},"r4_epoch_seconds":{{F(12.5 + k)}},"r5_val_accuracy":{{F(0.81 + (lr * 5) + (0.002 * k))}},"r6_params_millions":{{F(11.2)}},"r7_best_epoch":{{(int)(20 + k)}},"r8_grad_norm":{{F(1.05 + (0.1 * k))}}}""";
    }

    public static TheoryData<string, string[]> Listings => new()
    {
        { "run-quickstart", ["run", "expt.yaml", "-q"] },
        { "run-wide", ["run", "wide.yaml", "-q"] },
        { "summary-quickstart", ["summary", "quickstart"] },
        { "summary-wide", ["summary", "wide"] },
        { "ls-quickstart", ["ls", "--study", "quickstart", "--limit", "8"] },
        { "ls-wide", ["ls", "--study", "wide", "--limit", "8"] },
        { "studies", ["studies"] },
        { "status-quickstart", ["status", "quickstart", "--once"] },
        { "compare-groups-quickstart", ["compare-groups", "quickstart", "-m", "best", "--a", "cooling == 0.99", "--b", "cooling == 0.9"] },
        { "compare-groups-wide", ["compare-groups", "wide", "-m", "r5_val_accuracy", "--a", "p01_learning_rate == 0.01", "--b", "p01_learning_rate == 0.001"] },
    };

    [Theory]
    [MemberData(nameof(Listings))]
    public async Task Every_listing_fits_60_80_120_and_200_columns_leading_with_what_matters(string name, string[] args)
    {
        await SeedAsync();
        var text = new System.Text.StringBuilder();
        foreach (var width in new[] { 60, 80, 120, 200 })
        {
            _cli.Width = width;
            var result = await _cli.RunAsync(args);
            result.Exit.ShouldBe(0, result.Error);
            var lines = result.Out.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
            lines.Where(l => !l.StartsWith("every ", StringComparison.Ordinal)).ShouldAllBe(l => l.Length <= width, $"wider than {width} columns:\n{result.Out}");
            text.Append(CultureInfo.InvariantCulture, $"=== {width} columns ===\n").AppendJoin('\n', lines).Append('\n');
        }
        Snapshot(name, StableIds(text.ToString()));
    }

    // Trial ids are random: each becomes trial_01, trial_02... in order of appearance (the same width, 8 characters).
    private static string StableIds(string text)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(text, @"(?<=│ )[0-9a-f]{8}(?= │)", m =>
            ids.TryGetValue(m.Value, out var id) ? id : ids[m.Value] = $"trial_{ids.Count + 1:D2}");
    }

    [Fact]
    public async Task The_objective_is_never_left_out_and_constants_are_said_once()
    {
        await SeedAsync();
        _cli.Width = 60;
        var run = await _cli.RunAsync("run", "wide.yaml", "-q");
        run.Out.ShouldContain("every point: p03_optimizer=adam p04_weight_decay=0.0001");
        run.Out.ShouldContain("r5_val_accuracy");
        var ls = await _cli.RunAsync("ls", "--study", "wide");
        ls.Out.ShouldContain("every row: ");
        ls.Out.ShouldContain("r5_val_accuracy");
        var summary = await _cli.RunAsync("summary", "quickstart");
        summary.Out.ShouldContain("every row: dim=5 iters=5000");
        summary.Out.ShouldContain("mean ± 95% ci");
    }

    private static string Root([CallerFilePath] string file = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    private static void Snapshot(string name, string actual, [CallerFilePath] string file = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(file)!, "Snapshots", name + ".txt");
        if (Environment.GetEnvironmentVariable("EXPT_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        File.Exists(path).ShouldBeTrue($"no snapshot {path}; run with EXPT_UPDATE_SNAPSHOTS=1 to write it, then read it");
        actual.ShouldBe(File.ReadAllText(path));
    }
}
