using Expt.Cli;

// This program is a complete expt command line with its own experiments:
//   dotnet run --project examples/csharp -- run anneal
//   dotnet run --project examples/csharp -- run tsp --set cities=30,60 -j 2
//   dotnet run --project examples/csharp -- ls --study anneal
return await ExptHost.RunAsync(args, typeof(Program).Assembly);
