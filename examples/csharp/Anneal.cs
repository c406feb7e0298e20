using Expt;

namespace Expt.Examples;

/// <summary>
/// Simulated annealing on the Rastrigin function, the C# twin of examples/quickstart: the attribute model.
/// Each property with [Params] or [Sweep] is a parameter; Run is called once per trial on a fresh instance.
/// </summary>
[Experiment("anneal", Replications = 5, Seed = 42, Parallel = 0)]
public sealed class Anneal
{
    [Params(0.9, 0.99)]
    public double Cooling { get; set; }

    [Sweep("range(2, 7, 2)")]
    public int Dim { get; set; }

    [Params(20_000)]
    public int Iters { get; set; }

    public object Run(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var rng = trial.Random; // seeded from the trial seed: the same numbers on every run, in any order
        const double bound = 5.12;
        var x = Enumerable.Range(0, Dim).Select(_ => (rng.NextDouble() * 2 - 1) * bound).ToArray();
        var fx = Rastrigin(x);
        var best = fx;
        var t = 10.0;
        var accepted = 0;
        for (var i = 0; i < Iters; i++)
        {
            trial.CancellationToken.ThrowIfCancellationRequested();
            var y = x.Select(v => Math.Clamp(v + Gaussian(rng) * bound / 10, -bound, bound)).ToArray();
            var fy = Rastrigin(y);
            if (fy < fx || rng.NextDouble() < Math.Exp(-(fy - fx) / Math.Max(t, 1e-12)))
            {
                (x, fx) = (y, fy);
                accepted++;
                best = Math.Min(best, fx);
            }
            if (i % 100 == 0)
            {
                t *= Cooling;
                trial.Log("best", best, i);
                trial.Log("temperature", t, i);
            }
        }
        return new { best, accept_rate = (double)accepted / Iters, final_temperature = t };
    }

    private static double Rastrigin(double[] x) => 10 * x.Length + x.Sum(v => v * v - 10 * Math.Cos(2 * Math.PI * v));

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
