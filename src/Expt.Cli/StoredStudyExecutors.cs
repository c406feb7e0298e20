using System.Text.Json;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// Rebuilds a study's executor from what the store keeps (its resolved definition), so a worker that did not read
/// the study file can run its trials: the command, shell, working directory, environment and timeout, or the C#
/// experiment of the hosting program.
/// </summary>
internal sealed class StoredStudyExecutors(CliEnvironment env, IExptStore store)
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
        using var doc = JsonDocument.Parse(study.SpecJson);
        var root = doc.RootElement;
        TimeSpan? timeout = root.TryGetProperty("timeout_seconds", out var t) ? TimeSpan.FromSeconds(t.GetDouble()) : null;
        var limits = root.TryGetProperty("limits", out var l) && l.TryGetProperty("results_bytes", out var r) ? new TrialLimits { MaxResultsBytes = r.GetInt64() } : new TrialLimits();
        if (root.TryGetProperty("command_secret_removed", out var removed) && removed.ValueKind == JsonValueKind.True)
        {
            return new RefusingExecutor($"study {study.Name}: its command line held a secret, which the store never keeps, so this worker cannot run it; " +
                "pass the secret through the environment (env: {NAME: ${NAME}}) and run the study again, or run it with expt run where the study file is");
        }
        if (root.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.String)
        {
            var shell = root.TryGetProperty("shell", out var sh) && sh.GetBoolean();
            // Secret-looking variables were never stored: the worker's own environment provides them.
            var variables = root.TryGetProperty("env", out var e)
                ? e.EnumerateObject().Where(p => p.Value.GetString() != Provenance.Redactor.Mask).ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty)
                : [];
            return new CommandExecutor(new CommandTemplate(command.GetString()!, shell), root.GetProperty("workdir").GetString()!, variables, timeout, env.Time, limits: limits, keepChildren: root.TryGetProperty("keep_children", out var keep) && keep.ValueKind == JsonValueKind.True);
        }
        var name = root.GetProperty("experiment").GetString()!;
        var experiment = env.Experiments.Find(name)
            ?? throw new UserException($"study {study.Name} runs the C# experiment '{name}', which this program does not have; start the worker from the program that defines it");
        return new InProcessExecutor(experiment.Body, timeout, env.Time, limits);
    }

    /// <summary>Fails each trial with a reason, for a study this worker cannot run.</summary>
    private sealed class RefusingExecutor(string reason) : ITrialExecutor
    {
        public Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new TrialOutcome(Trials.TrialStatus.Failed, TimeSpan.Zero, Error: reason));
    }
}
