using System.Globalization;
using static Expt.Benchmarks.Scenarios;

namespace Expt.Benchmarks;

/// <summary>
/// Scheduling by resources through the real CLI: what declaring resources costs on 1,000 trials of <c>true</c>, and how
/// well trials that each need 300 MiB are packed into 1 GiB.
/// </summary>
internal static class ResourceScenarios
{
    public static async Task RunAsync(Action<string, int, double> record)
    {
        var expt = Path.Combine(AppContext.BaseDirectory, "expt.dll");
        for (var round = 0; round <= Rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            File.WriteAllText(Path.Combine(dir, "plain.yaml"), "name: plain\ncommand: \"true\"\nparams:\n  i: range(1000)\nparallel: 2\n");
            File.WriteAllText(Path.Combine(dir, "declared.yaml"), "name: declared\ncommand: \"true\"\nparams:\n  i: range(1000)\nparallel: 2\nresources:\n  cpus: 1\n  memory: 64M\n");
            var plain = await TimeAsync("dotnet", [expt, "run", "-q", "plain.yaml"], dir);
            var declared = await TimeAsync("dotnet", [expt, "run", "-q", "declared.yaml", "--cpus", "2", "--memory", "1G"], dir);
            record("resources: 1000 x true, -j 2, no resources s", round, plain);
            record("resources: 1000 x true, -j 2, resources declared s", round, declared);
            record("resources: ratio declared/plain", round, declared / plain);
            Console.WriteLine($"resources round {round}: 1000 x true: {F(plain)} s without resources, {F(declared)} s with cpus: 1, memory: 64M declared (ratio {F(declared / plain, "0.00")})");
            Directory.Delete(dir, recursive: true);
        }
        for (var round = 0; round <= 2; round++)
        {
            // Each trial allocates and touches 300 MiB, then holds it 4 s; 1 GiB fits three at once, so eight trials
            // ideally take three waves of one trial's time (measured alone).
            var dir = Directory.CreateTempSubdirectory("expt-bench-").FullName;
            const string Trial = "python3 -c \"import time; b = bytearray(300 << 20); time.sleep(4)\"";
            File.WriteAllText(Path.Combine(dir, "one.yaml"), $"name: one\ncommand: '{Trial}'\nresources:\n  memory: 300M\n");
            File.WriteAllText(Path.Combine(dir, "pack.yaml"), $"name: pack\ncommand: '{Trial} {{i}}'\nparams:\n  i: range(8)\nresources:\n  memory: 300M\n");
            var one = await TimeAsync("dotnet", [expt, "run", "-q", "one.yaml", "--memory", "1G", "--cpus", "8"], dir);
            var setup = await TimeAsync("dotnet", [expt, "ls", "--study", "one"], dir);
            var eight = await TimeAsync("dotnet", [expt, "run", "-q", "pack.yaml", "--memory", "1G", "--cpus", "8"], dir);
            var ideal = 3 * (one - setup) + setup;
            record("resources: packing efficiency (ideal/actual)", round, ideal / eight);
            Console.WriteLine($"resources packing round {round}: one trial alone {F(one)} s, eight in 1 GiB {F(eight)} s, ideal (3 waves) {F(ideal)} s: {F(ideal / eight * 100, "0")}% of ideal");
            Directory.Delete(dir, recursive: true);
        }
    }
}
