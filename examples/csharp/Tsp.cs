using Expt;

namespace Expt.Examples;

/// <summary>
/// 2-opt simulated annealing on random Euclidean TSP instances: the fluent model. The instance is generated from
/// its own parameter (instance seed) so every replication solves the same cities with a different search seed.
/// </summary>
public static class Tsp
{
    [ExperimentProvider]
    public static ExperimentDefinition Define() => Experiment.Define("tsp")
        .Param("cities", 30, 60)
        .Param("instance", 1, 2)
        .Sweep("cooling", "linspace(0.995, 0.9995, 3)")
        .Replications(3)
        .Seed(7)
        .Run(trial =>
        {
            var n = trial.Get<int>("cities");
            var cities = Cities(n, trial.Get<int>("instance"));
            var rng = trial.Random;
            var tour = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var length = Length(tour, cities);
            var best = length;
            var t = length / n;
            var cooling = trial.Get<double>("cooling");
            for (var step = 0; step < 200 * n * 10; step++)
            {
                var i = rng.Next(1, n - 1);
                var j = rng.Next(i + 1, n);
                var delta = Delta(tour, cities, i, j);
                if (delta < 0 || rng.NextDouble() < Math.Exp(-delta / t))
                {
                    Array.Reverse(tour, i, j - i + 1);
                    length += delta;
                    best = Math.Min(best, length);
                }
                if (step % 200 == 0)
                {
                    t *= cooling;
                    if (step % 2000 == 0)
                    {
                        trial.Log("length", length, step);
                    }
                }
            }
            return new { best, final = length };
        });

    private static (double X, double Y)[] Cities(int n, int instance)
    {
        var rng = new Expt.Trials.SeededRandom(instance);
        return Enumerable.Range(0, n).Select(_ => (rng.NextDouble(), rng.NextDouble())).ToArray();
    }

    private static double Distance((double X, double Y) a, (double X, double Y) b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));

    private static double Length(int[] tour, (double X, double Y)[] c) => tour.Select((city, k) => Distance(c[city], c[tour[(k + 1) % tour.Length]])).Sum();

    private static double Delta(int[] tour, (double X, double Y)[] c, int i, int j)
    {
        var n = tour.Length;
        var (a, b) = (c[tour[i - 1]], c[tour[i]]);
        var (d, e) = (c[tour[j]], c[tour[(j + 1) % n]]);
        return Distance(a, d) + Distance(b, e) - Distance(a, b) - Distance(d, e);
    }
}
