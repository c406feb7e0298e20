using Expt.Cli;

namespace Expt;

/// <summary>Runs a single experiment from a program's Main.</summary>
public static class ExperimentDefinitionExtensions
{
    /// <summary>
    /// Runs the experiment with the full command line: no arguments runs it (<c>expt run NAME</c>); any arguments
    /// are an <c>expt</c> command line (<c>run --set x=1,2 -j 4</c>, <c>ls</c>, <c>show ID</c>...).
    /// </summary>
    public static Task<int> RunAsync(this ExperimentDefinition experiment, string[] args)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(args);
        return ExptHost.RunAsync(args.Length == 0 ? ["run", experiment.Name] : args, experiment);
    }
}
