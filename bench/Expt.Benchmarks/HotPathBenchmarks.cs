using BenchmarkDotNet.Attributes;
using Expt.Spec;
using Expt.Storage;
using Expt.Storage.Sqlite;
using Expt.Trials;

namespace Expt.Benchmarks;

/// <summary>
/// The store's hot paths, one operation on a batch of trials: enqueue, claim, complete.
/// Run: dotnet run -c Release --project bench/Expt.Benchmarks -- --filter '*HotPath*' --job short
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private string _dir = null!;
    private SqliteStore _store = null!;
    private string _studyId = null!;
    private List<NewTrial> _trials = null!;
    private int _round;

    [BenchmarkDotNet.Attributes.Params(100, 1000)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("expt-bdn-").FullName;
        _store = SqliteStore.OpenAsync(Path.Combine(_dir, "expt.db")).GetAwaiter().GetResult();
        _studyId = _store.CreateStudyAsync(new StudyDefinition("bdn", null, [], "{}", "f", 1, null)).GetAwaiter().GetResult().Study.Id;
    }

    [IterationSetup]
    public void Fresh()
    {
        _round++;
        _trials = Enumerable.Range(0, Batch).Select(i => new NewTrial($"r{_round}-{i}", (_round * 100_000L) + i, 0, """{"i":1}""", i, 1)).ToList();
    }

    [Benchmark(Description = "enqueue + claim + complete a batch")]
    public async Task EnqueueClaimComplete()
    {
        await _store.EnqueueAsync(_studyId, _trials);
        var leases = await _store.ClaimAsync(new ClaimRequest(new WorkerIdentity("w", "h", 1), Batch, TimeSpan.FromMinutes(1), _studyId));
        await _store.CompleteAsync(leases.Select(l => new TrialCompletion(l, new TrialOutcome(TrialStatus.Completed, TimeSpan.FromMilliseconds(1), """{"v":1}"""))).ToList());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>Expanding a space into trials: keys and seeds for every point.</summary>
[MemoryDiagnoser]
public class PlanBenchmarks
{
    private StudySpec _spec = null!;

    [GlobalSetup]
    public void Setup() => _spec = StudySpecBinder.Bind(
        YamlConfigReader.Parse("name: p\ncommand: x\nparams:\n  a: range(100)\n  b: linspace(0, 1, 10)\n  c: [x, y]\nreplications: 5\n", "b"), new BindOptions());

    [Benchmark(Description = "plan of 10,000 trials")]
    public int Plan() => TrialPlan.Create(_spec).Count;
}
