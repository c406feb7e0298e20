using Expt.Analysis;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage.Sqlite;

namespace Expt.Storage.Tests;

/// <summary>The C# results API over a real study in a real SQLite file.</summary>
public sealed class StudyResultsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-results-").FullName;
    private SqliteStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(Path.Combine(_directory, "expt.db"));
        var spec = StudySpecBinder.Bind(YamlConfigReader.Parse("name: r\nparams:\n  a: [1, 2]\n  b: [x, y]\nreplications: 3\n", "t"), new BindOptions { DefaultExperiment = "t" });
        var prepared = await StudyPreparation.PrepareAsync(_store, spec, null, true);
        var executor = new InProcessExecutor(trial =>
        {
            var a = trial.Get<int>("a");
            var r = trial.Replicate;
            for (var step = 0; step < 3; step++)
            {
                trial.Log("loss", (a * 10) + r + step, step * 10);
            }
            trial.SaveArtifact("plot.svg", "<svg/>");
            trial.SaveArtifact("../escape.txt", "stays inside");
            trial.Note("first note");
            return Task.FromResult<object?>(new { score = (a * 10) + r, vector = new[] { a, r, 1.0 }, samples = new[] { r, r + 0.5 } });
        }, null);
        await new Worker(_store, _ => executor, new WorkerOptions { StudyId = prepared.Study.Id, Slots = 2 }).RunAsync(default, default);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Trials_filter_with_linq_and_aggregate_across_replications()
    {
        var results = await StudyResults.LoadAsync(_store, "r");
        results.Trials.Count.ShouldBe(12);
        results.Trials.Where(t => (long?)t.Params["a"] == 2 && (string?)t.Params["b"] == "y").Select(t => t.Number("score")).ShouldBe([20.0, 21.0, 22.0]);

        var summary = results.Summary("score", by: ["a"]);
        summary.Select(g => (g.Key.ToString(), g.Stats.N, g.Stats.Mean, g.Rank)).ShouldBe([("a=1", 6, 11.0, (int?)1), ("a=2", 6, 21.0, (int?)2)]);

        var samples = results.Samples("score", by: ["a"]);
        samples[0].Values.ShouldBe([10.0, 10.0, 11.0, 11.0, 12.0, 12.0]); // replicate order, never completion order

        var comparison = results.Compare("score", t => (long?)t.Params["a"] == 2, t => (long?)t.Params["a"] == 1);
        comparison.Difference.ShouldBe(10);

        var curves = await results.CurvesAsync("loss", by: ["a"]);
        curves[0].Steps.ShouldBe([0L, 10, 20]);
        curves[0].Mean.ShouldBe([11.0, 12.0, 13.0]);
        curves[0].N.ShouldBe([6, 6, 6]);

        var arrays = results.Arrays("vector", by: ["a"]);
        arrays[1].Mean.ShouldBe([2.0, 1.0, 1.0]);
        arrays[1].Std[2].ShouldBe(0);

        var distributions = results.Distributions("samples", by: ["a"], quantiles: [0.5]);
        distributions[0].Stats.N.ShouldBe(12);
        distributions[0].Quantiles[0.5].ShouldBe(1.25);

        var images = results.Artifacts("*.svg", by: ["a"]);
        images.Count.ShouldBe(2);
        images[0].Files.Count.ShouldBe(6);
        images[0].Files.ShouldAllBe(f => f.StartsWith(_store.RunsDirectory, StringComparison.Ordinal));
        var dir = Path.GetDirectoryName(images[0].Files[0])!;
        File.ReadAllText(Path.Combine(dir, "escape.txt")).ShouldBe("stays inside");
        File.ReadAllText(Path.Combine(dir, Trial.NotesFile)).ShouldBe("first note\n");
    }

    [Fact]
    public async Task An_unknown_study_is_reported() =>
        (await Should.ThrowAsync<KeyNotFoundException>(() => StudyResults.LoadAsync(_store, "nope"))).Message.ShouldBe("no study named 'nope'");
}
