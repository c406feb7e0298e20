using Expt.Execution;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// Rebuilds a study's executor from what the store keeps (its resolved definition), so a worker that did not read
/// the study file can run its trials: the command, shell, working directory, environment and timeout, or the C#
/// experiment of the hosting program (in-process, or isolated in worker processes), built by the same
/// <see cref="Executors"/> as <c>expt run</c>.
/// </summary>
internal sealed class StoredStudyExecutors(CliEnvironment env, IExptStore store, bool isolate = false, bool verbose = false)
{
    private readonly Dictionary<string, ITrialExecutor> _executors = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Add(StudyRecord study)
    {
        lock (_lock)
        {
            if (!_executors.ContainsKey(study.Id))
            {
                _executors[study.Id] = Create(study);
            }
        }
    }

    public ITrialExecutor For(TrialLease lease)
    {
        lock (_lock)
        {
            if (_executors.TryGetValue(lease.StudyId, out var executor))
            {
                return executor;
            }
        }
        // A study enqueued after this worker started: read its definition now. The resolver is synchronous and
        // this happens once per study, so blocking on the store here is cheap.
        var study = store.GetStudyAsync(lease.StudyName).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException($"study {lease.StudyName} is not in the store");
        Add(study);
        lock (_lock)
        {
            return _executors[lease.StudyId];
        }
    }

    private ITrialExecutor Create(StudyRecord study)
    {
        var spec = StoredSpec.Read(study.SpecJson);
        if (spec.CommandSecretRemoved)
        {
            return new RefusingExecutor($"study {study.Name}: its command line held a secret, which the store never keeps, so this worker cannot run it; " +
                "pass the secret through the environment (env: {NAME: ${NAME}}) and run the study again, or run it with expt run where the study file is");
        }
        return Executors.Create(env, study.Name, ExecutorRecipe.From(spec), isolate, verbose);
    }

    /// <summary>Fails each trial with a reason, for a study this worker cannot run.</summary>
    private sealed class RefusingExecutor(string reason) : ITrialExecutor
    {
        public Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new TrialOutcome(Trials.TrialStatus.Failed, TimeSpan.Zero, Error: reason));
    }
}
