using Expt;
using Expt.Cli;

var fluent = Experiment.Define("square")
    .Param("x", 1, 2, 3)
    .Param("label", "a")
    .Replications(2)
    .Seed(5)
    .Run(trial =>
    {
        trial.Log("progress", 0.5);
        trial.Log("progress", 1.0);
        return new { square = trial.Get<int>("x") * trial.Get<int>("x"), draw = trial.Random.Next(1000) };
    });

var crashy = Experiment.Define("crashy")
    .Param("mode", "ok", "exit", "hang", "throw", "ok2")
    .Timeout(TimeSpan.FromSeconds(2))
    .Run(trial =>
    {
        Console.WriteLine($"hello from {trial.Id}");
        switch (trial.Get<string>("mode"))
        {
            case "exit":
                Console.Error.WriteLine("about to die");
                Environment.Exit(42); // a crash that would take an in-process study down
                break;
            case "hang":
                while (true)
                {
                    Thread.Sleep(100); // ignores its cancellation token: only killing stops it
                }
            case "throw":
                throw new InvalidOperationException("trial code threw");
        }
        return new { pid = Environment.ProcessId };
    });

var catalog = ExperimentCatalog.FromAssembly(typeof(Anneal).Assembly).Add(fluent).Add(crashy);
return await ExptHost.RunAsync(args, catalog);

/// <summary>The attribute model, like BenchmarkDotNet's [Params].</summary>
[Experiment("anneal", Replications = 3, Seed = 11)]
public sealed class Anneal
{
    [Params(0.9, 0.99)]
    public double Cooling { get; set; }

    [Sweep("range(2, 4)")]
    public int Dim { get; set; }

    public object Run(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var x = Enumerable.Range(0, Dim).Select(_ => trial.Random.NextDouble() * 10 - 5).ToArray();
        var best = x.Sum(v => v * v);
        var t = 1.0;
        for (var i = 0; i < 2000; i++)
        {
            var j = trial.Random.Next(Dim);
            var old = x[j];
            x[j] += trial.Random.NextDouble() - 0.5;
            var value = x.Sum(v => v * v);
            if (value < best || trial.Random.NextDouble() < Math.Exp((best - value) / t))
            {
                best = Math.Min(best, value);
            }
            else
            {
                x[j] = old;
            }
            t *= Cooling;
            if (i % 500 == 0)
            {
                trial.Log("best", best, i);
            }
        }
        return new { best };
    }
}
