using Expt.Provenance;
using Expt.Storage;

namespace Expt.Cli;

/// <summary>
/// The provenance of this invocation (<c>expt run</c>, <c>expt worker</c>), stored once per distinct content and
/// linked to every trial it claims: an edit between two runs of a study shows in <c>expt show</c> and <c>expt diff</c>.
/// </summary>
internal static class RunProvenance
{
    public static async Task<(string Id, string Json)> RecordAsync(IExptStore store, SystemInfoLevel level, CliEnvironment env, string? pythonJson, CancellationToken cancellationToken)
    {
        var json = ProvenanceCollector.ForRun(level, Environment.GetCommandLineArgs(), env.WorkingDirectory, pythonJson);
        var id = ProvenanceCollector.RunId(json);
        await store.RecordRunAsync(id, json, cancellationToken).ConfigureAwait(false);
        return (id, json);
    }

    /// <summary>The provenance of the invocation that ran a trial, or the study's (from its creation) for older trials.</summary>
    public static async Task<string?> ForTrialAsync(IExptStore store, TrialRecord trial, CancellationToken cancellationToken)
    {
        if (trial.RunId is { } runId && await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is { } run)
        {
            return run;
        }
        return (await store.GetStudyAsync(trial.StudyName, cancellationToken).ConfigureAwait(false))?.ProvenanceJson;
    }

    /// <summary>Candidate trials for <c>--where</c>: the pending trials of a study whose parameters match.</summary>
    public static async Task<IReadOnlyList<string>> PendingMatchingAsync(IExptStore store, string studyId, Expressions.WhereExpression where, CancellationToken cancellationToken)
    {
        var pending = await store.ListTrialsAsync(new TrialFilter { StudyId = studyId, Statuses = [Trials.TrialStatus.Pending] }, cancellationToken).ConfigureAwait(false);
        return [.. pending.Where(t => where.Evaluate(Spec.ParamSet.FromJson(t.ParamsJson).TryGetValue)).Select(t => t.Id)];
    }
}
