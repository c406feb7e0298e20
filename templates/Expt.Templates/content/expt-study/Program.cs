using Expt;
using Expt.Cli;

// A study: every combination of the parameters, each run `Replications` times with its own seed.
// dotnet run                      runs it (in parallel, tracked in ./.expt/expt.db)
// dotnet run -- summary ExptStudy  mean, std and 95% CI per point, best first
// dotnet run -- serve             the dashboard
return await Experiment.Define("ExptStudy")
    .Param("noise", 0.1, 0.5)
    .Sweep("n", "range(100, 400, 100)")
    .Replications(5)
    .Seed(42)
    .Minimize("error")
    .Run(trial =>
    {
        var rng = trial.Random; // seeded from the trial's seed: the same numbers on every run
        var n = trial.Get<int>("n");
        var noise = trial.Get<double>("noise");
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += 1 + (noise * ((rng.NextDouble() * 2) - 1));
        }
        return new { mean = sum / n, error = Math.Abs((sum / n) - 1) };
    })
    .RunAsync(args);
