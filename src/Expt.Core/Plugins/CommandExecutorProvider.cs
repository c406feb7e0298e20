using Expt.Execution;

namespace Expt.Plugins;

/// <summary>Expt's own executors of commands and Python functions, registered as a plugin's are.</summary>
/// <param name="kind"><see cref="ExecutorKinds.Command"/> or <see cref="ExecutorKinds.Python"/>.</param>
public sealed class CommandExecutorProvider(string kind) : IExecutorProvider
{
    /// <inheritdoc />
    public string Kind => kind;

    /// <inheritdoc />
    public ITrialExecutor Create(ExecutorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Recipe.CommandExecutor(request.Time, request.Echo)
            ?? throw new ExecutorSetupException($"study {request.Study} has neither a command nor a Python function for the {kind} executor");
    }
}
