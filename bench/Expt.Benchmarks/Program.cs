using BenchmarkDotNet.Running;
using Expt.Benchmarks;

// "scenarios" runs the end-to-end measurements recorded in docs/benchmarks.md; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "host")
{
    // A program hosting Expt with one trivial C# experiment, for the MPI scenario (run under mpiexec).
    var trivial = Expt.Experiment.Define("trivial").Param("i", 0).Run(trial => new { twice = trial.Get<long>("i") * 2 });
    return await Expt.Cli.ExptHost.RunAsync(args[1..], Expt.ExperimentCatalog.FromAssembly(typeof(Scenarios).Assembly).Add(trivial));
}
if (args.Length == 3 && args[0] == "pg-worker")
{
    return await PostgresScenarios.WorkerAsync(args[1], args[2]);
}
if (args.Length > 0 && args[0] == "scenarios")
{
    return await Scenarios.RunAsync(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(Scenarios).Assembly).Run(args);
return 0;
