using Expt.Execution;

namespace Expt.Plugins;

/// <summary>What an <see cref="IExecutorProvider"/> makes an executor from.</summary>
/// <param name="Study">The study's name.</param>
/// <param name="Recipe">How the study's trials run: command, working directory, environment, timeout, limits.</param>
/// <param name="Options">The study's <c>executor:</c> options (its keys other than <c>kind</c>).</param>
public sealed record ExecutorRequest(string Study, ExecutorRecipe Recipe, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Run trials in worker processes of their own where the executor can (<c>--isolate</c>).</summary>
    public bool Isolate { get; init; }

    /// <summary>Receives each output line (line, isStderr) while a trial runs, under <c>-v</c>; null otherwise.</summary>
    public Action<TrialContext, string, bool>? Echo { get; init; }
}
