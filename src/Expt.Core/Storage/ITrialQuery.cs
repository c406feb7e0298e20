using Expt.Trials;

namespace Expt.Storage;

/// <summary>The read side of a store: what listing commands and dashboards see.</summary>
public interface ITrialQuery
{
    /// <summary>Lists trials.</summary>
    Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(TrialFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Finds trials whose id starts with <paramref name="prefix"/>.</summary>
    Task<IReadOnlyList<TrialRecord>> FindTrialsAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Lists studies with counts by status.</summary>
    Task<IReadOnlyList<StudySummary>> ListStudiesAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts a study's trials by status.</summary>
    Task<IReadOnlyDictionary<TrialStatus, int>> CountAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>The step metrics of a trial, by name then step.</summary>
    Task<IReadOnlyList<MetricPoint>> GetMetricsAsync(string trialId, CancellationToken cancellationToken = default);
}
