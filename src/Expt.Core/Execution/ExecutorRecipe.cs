using Expt.Spec;

namespace Expt.Execution;

/// <summary>
/// What an executor is built from, the same whether the study came from its file (<c>expt run</c>) or from the store
/// (<c>expt worker</c>, Slurm, MPI ranks): a command with where and how it runs, or a C# experiment's name.
/// </summary>
/// <param name="Command">The command template, or null for a C# experiment.</param>
/// <param name="WorkDir">Where commands run.</param>
/// <param name="Env">Extra environment variables for commands.</param>
/// <param name="Timeout">The per-trial time limit.</param>
/// <param name="Limits">What a trial may hand back.</param>
/// <param name="KeepChildren">Processes a command trial leaves running are left alone.</param>
/// <param name="Experiment">The C# experiment, when there is no command.</param>
/// <param name="Python">The Python function, when trials call one.</param>
public sealed record ExecutorRecipe(
    CommandTemplate? Command,
    string WorkDir,
    IReadOnlyDictionary<string, string> Env,
    TimeSpan? Timeout,
    TrialLimits Limits,
    bool KeepChildren,
    string? Experiment,
    PythonTarget? Python = null)
{
    /// <summary>The executor a plugin registers, when the study names one.</summary>
    public ExecutorChoice? Executor { get; init; }

    /// <summary>From a study as loaded from its file or C# definition.</summary>
    public static ExecutorRecipe From(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new(spec.Command, spec.WorkDir, spec.Env, spec.Timeout, spec.Limits, spec.KeepChildren, spec.Experiment, spec.Python) { Executor = spec.Executor };
    }

    /// <summary>From a study as the store keeps it.</summary>
    public static ExecutorRecipe From(StoredSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new(spec.Command is { } command ? new CommandTemplate(command, spec.Shell) : null, spec.WorkDir, spec.Env, spec.Timeout, spec.Limits, spec.KeepChildren, spec.Experiment, spec.Python) { Executor = spec.Executor };
    }

    /// <summary>
    /// The kind of executor the study's trials need: the plugin's its <c>executor:</c> names, else <c>python</c> for a
    /// Python function, <c>command</c> for a command, <c>csharp</c> for a C# experiment.
    /// </summary>
    public string Kind => Executor?.Kind ?? (Python is not null ? Plugins.ExecutorKinds.Python : Command is not null ? Plugins.ExecutorKinds.Command : Plugins.ExecutorKinds.CSharp);

    /// <summary>
    /// The executor of a command, or of a Python function (warm hosts; a fresh interpreter per trial is a command); null
    /// for a C# experiment (its executor depends on the host: in-process or isolated).
    /// </summary>
    public ITrialExecutor? CommandExecutor(TimeProvider time, Action<TrialContext, string, bool>? echo) => (Command, Python) switch
    {
        ({ } command, _) => new CommandExecutor(command, WorkDir, Env, Timeout, time, echo, Limits, KeepChildren),
        (_, { Mode: PythonMode.Fresh } python) => new CommandExecutor(Execution.PythonExecutor.FreshCommand(python), WorkDir, Env, Timeout, time, echo, Limits, KeepChildren),
        (_, { } python) => new PythonExecutor(python, WorkDir, Env, Timeout, time, echo, Limits),
        _ => null,
    };
}
