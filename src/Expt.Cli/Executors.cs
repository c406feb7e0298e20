using Expt.Execution;
using Expt.Plugins;

namespace Expt.Cli;

/// <summary>
/// The one executor factory of the command line, for <c>expt run</c> and <c>expt worker</c> alike: the provider of the
/// study's kind (<see cref="ExecutorRecipe.Kind"/>) from the registry, Expt's own (commands with their output echoed
/// under <c>-v</c>, Python functions, C# experiments in-process or isolated) and plugins' alike.
/// </summary>
internal static class Executors
{
    public static ITrialExecutor Create(CliEnvironment env, string study, ExecutorRecipe recipe, bool isolate, bool verbose)
    {
        try
        {
            return env.Executors.For(recipe.Kind, study).Create(new ExecutorRequest(study, recipe, recipe.Executor?.Options ?? new Dictionary<string, string>())
            {
                Time = env.Time,
                Echo = verbose ? Echo(env) : null,
                Isolate = isolate,
            });
        }
        catch (ExecutorSetupException ex)
        {
            throw new UserException(ex.Message);
        }
    }

    /// <summary>Each line a trial prints, prefixed with its id and stream, one line at a time.</summary>
    private static Action<TrialContext, string, bool> Echo(CliEnvironment env)
    {
        var gate = new Lock();
        return (context, line, isStderr) =>
        {
            lock (gate)
            {
                env.Out.Profile.Out.Writer.WriteLine($"{context.Lease.TrialId} {(isStderr ? "err" : "out")}| {Text.TerminalText.Escape(line, keepLines: true)}");
            }
        };
    }
}
