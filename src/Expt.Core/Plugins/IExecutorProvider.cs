using Expt.Execution;

namespace Expt.Plugins;

/// <summary>
/// Makes the executor of the studies that name its kind (<c>executor: {kind: wrap, with: "ssh gpu1"}</c>): how each
/// trial runs (through another program, on another machine, in a container). It gets the study's command, working
/// directory, environment, timeout and limits as Expt's own executors do.
/// </summary>
public interface IExecutorProvider
{
    /// <summary>The kind a study names: lower-case letters, digits and '-'.</summary>
    string Kind { get; }

    /// <summary>Makes the executor for one study.</summary>
    /// <exception cref="ExecutorSetupException">The study's options do not make an executor; the message is one line for users.</exception>
    ITrialExecutor Create(ExecutorRequest request);
}
