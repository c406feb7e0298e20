using Expt.Execution;
using Expt.Plugins;
using Expt.Spec;

namespace Expt.Plugin.Wrap;

/// <summary>
/// Makes the <c>wrap</c> executor: the study's command with the <c>with</c> program in front, run by Expt's own command
/// executor, so placeholders, the environment, timeouts, measured usage and results work as for any command trial.
/// </summary>
public sealed class WrapExecutorProvider : IExecutorProvider
{
    /// <inheritdoc />
    public string Kind => "wrap";

    /// <inheritdoc />
    public ITrialExecutor Create(ExecutorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Options.TryGetValue("with", out var with) || string.IsNullOrWhiteSpace(with))
        {
            throw new ExecutorSetupException($"study {request.Study}: executor wrap needs 'with', the program each trial runs through, e.g. executor: {{kind: wrap, with: \"nice -n 10\"}}");
        }
        var command = request.Recipe.Command
            ?? throw new ExecutorSetupException($"study {request.Study}: executor wrap runs a study's command, and this study has none");
        CommandTemplate wrapped;
        try
        {
            wrapped = new CommandTemplate(with + " " + command.Text, command.Shell);
        }
        catch (FormatException ex)
        {
            throw new ExecutorSetupException($"study {request.Study}: executor wrap: 'with' does not make a command line: {ex.Message}", ex);
        }
        var recipe = request.Recipe;
        return new CommandExecutor(wrapped, recipe.WorkDir, recipe.Env, recipe.Timeout, request.Time, request.Echo, recipe.Limits, recipe.KeepChildren);
    }
}
