using Expt.Execution;
using Expt.Isolation;
using Expt.Plugins;

namespace Expt.Cli;

/// <summary>
/// The one executor factory of the command line, for <c>expt run</c> and <c>expt worker</c> alike: commands (with their
/// output echoed under <c>-v</c>), and C# experiments in-process or, with <c>--isolate</c>, in worker processes.
/// </summary>
internal static class Executors
{
    public static ITrialExecutor Create(CliEnvironment env, string study, ExecutorRecipe recipe, bool isolate, bool verbose)
    {
        if (recipe.Executor is { } choice)
        {
            // A plugin's executor, made as the study's executor: key says.
            try
            {
                return env.Executors.For(choice.Kind, study).Create(new ExecutorRequest(study, recipe, choice.Options) { Time = env.Time, Echo = verbose ? Echo(env) : null });
            }
            catch (ExecutorSetupException ex)
            {
                throw new UserException(ex.Message);
            }
        }
        if (recipe.CommandExecutor(env.Time, verbose ? Echo(env) : null) is { } command)
        {
            return command;
        }
        var name = recipe.Experiment ?? throw new UserException($"study {study} has neither a command nor a C# experiment");
        var experiment = env.Experiments.Find(name)
            ?? throw new UserException($"study {study} runs the C# experiment '{name}', which this program does not have; run it from the program that defines it (dotnet run -- run ..., or dotnet run -- worker ...)");
        if (isolate && env.SelfCommand.Count == 0)
        {
            throw new UserException("--isolate needs to know how to start this program again; it is not available here");
        }
        return isolate
            ? new IsolatedExecutor(env.SelfCommand, experiment.Name, recipe.Timeout, env.Time)
            : new InProcessExecutor(experiment.Body, recipe.Timeout, env.Time, recipe.Limits);
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
