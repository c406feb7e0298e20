using Expt.Execution;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Dashboard.Tests;

/// <summary>
/// A real study in a real store, run by the real worker: 3 learning rates × 2 optimisers × 3 replicates, step metrics,
/// one failure, files (an image, a log, and a secret next to the trial directory that no URL may reach), and
/// provenance holding secrets that must never reach a page.
/// </summary>
public static class SeededStudy
{
    public const string Name = "sweep";
    public const string StudySecret = "tok-study-123", UrlPassword = "pw-url-456", TrialSecret = "tok-trial-789";

    public static async Task SeedAsync(IExptStore store)
    {
        var yaml = $"name: {Name}\ndescription: a test sweep\ntags: [test]\nparams:\n  lr: [0.001, 0.01, 0.1]\n  opt: [sgd, adam]\nreplications: 3\nseed: 7\n";
        var spec = StudySpecBinder.Bind(YamlConfigReader.Parse(yaml, "sweep.yaml"), new BindOptions { DefaultExperiment = "t" });
        var provenance = $$"""{"env":{"API_TOKEN":"{{StudySecret}}","HOME":"/root"},"command_line":"expt run --store postgresql://me:{{UrlPassword}}@db/expt sweep.yaml"}""";
        var prepared = await StudyPreparation.PrepareAsync(store, spec, provenance, requeueCancelled: true);
        var executor = new InProcessExecutor(trial =>
        {
            var lr = trial.Get<double>("lr");
            var loss = 2.0;
            for (var step = 0; step < 50; step++)
            {
                loss *= 1 - lr;
                trial.Log("loss", loss);
            }
            if (lr > 0.05 && trial.Get<string>("opt") == "sgd" && trial.Replicate == 0)
            {
                throw new InvalidOperationException("loss diverged");
            }
            File.WriteAllBytes(Path.Combine(trial.Directory, "plot.png"), Png);
            File.WriteAllText(Path.Combine(trial.Directory, "stdout.log"), $"step 49 loss {loss}\nall done\n");
            return Task.FromResult<object?>(new { loss, accuracy = 1 - (loss / 2) });
        }, null);
        var options = new WorkerOptions
        {
            StudyId = prepared.Study.Id,
            Slots = 2,
            ProvenanceJson = $$"""{"argv":["expt","worker","--token","{{TrialSecret}}"],"host":"test"}""",
        };
        await new Worker(store, _ => executor, options).RunAsync(default, default);
        File.WriteAllText(Path.Combine(store.RunsDirectory, "secret.txt"), "do not serve me");
    }

    /// <summary>A 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
}
