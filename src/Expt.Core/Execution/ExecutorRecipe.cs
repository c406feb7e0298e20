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
public sealed record ExecutorRecipe(
    CommandTemplate? Command,
    string WorkDir,
    IReadOnlyDictionary<string, string> Env,
    TimeSpan? Timeout,
    TrialLimits Limits,
    bool KeepChildren,
    string? Experiment)
{
    /// <summary>From a study as loaded from its file or C# definition.</summary>
    public static ExecutorRecipe From(StudySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new(spec.Command, spec.WorkDir, spec.Env, spec.Timeout, spec.Limits, spec.KeepChildren, spec.Experiment);
    }

    /// <summary>From a study as the store keeps it.</summary>
    public static ExecutorRecipe From(StoredSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new(spec.Command is { } command ? new CommandTemplate(command, spec.Shell) : null, spec.WorkDir, spec.Env, spec.Timeout, spec.Limits, spec.KeepChildren, spec.Experiment);
    }

    /// <summary>The command executor, or null for a C# experiment (its executor depends on the host: in-process or isolated).</summary>
    public CommandExecutor? CommandExecutor(TimeProvider time, Action<TrialContext, string, bool>? echo) =>
        Command is null ? null : new CommandExecutor(Command, WorkDir, Env, Timeout, time, echo, Limits, KeepChildren);
}
