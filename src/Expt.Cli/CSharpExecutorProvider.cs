using Expt.Execution;
using Expt.Isolation;
using Expt.Plugins;

namespace Expt.Cli;

/// <summary>
/// The executor of C# experiments of the hosting program: in its process, or with <c>--isolate</c> in worker processes
/// of the same program (one per slot). Registered in <see cref="Defaults"/> like any other executor.
/// </summary>
internal sealed class CSharpExecutorProvider(ExperimentCatalog experiments, IReadOnlyList<string> selfCommand) : IExecutorProvider
{
    public string Kind => ExecutorKinds.CSharp;

    public ITrialExecutor Create(ExecutorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var recipe = request.Recipe;
        var name = recipe.Experiment ?? throw new ExecutorSetupException($"study {request.Study} has neither a command nor a C# experiment");
        var experiment = experiments.Find(name)
            ?? throw new ExecutorSetupException($"study {request.Study} runs the C# experiment '{name}', which this program does not have; run it from the program that defines it (dotnet run -- run ..., or dotnet run -- worker ...)");
        if (request.Isolate && selfCommand.Count == 0)
        {
            throw new ExecutorSetupException("--isolate needs to know how to start this program again; it is not available here");
        }
        return request.Isolate
            ? new IsolatedExecutor(selfCommand, experiment.Name, recipe.Timeout, request.Time)
            : new InProcessExecutor(experiment.Body, recipe.Timeout, request.Time, recipe.Limits);
    }
}
