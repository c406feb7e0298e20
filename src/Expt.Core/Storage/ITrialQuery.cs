using Expt.Trials;

namespace Expt.Storage;

/// <summary>The read side of a store: what listing commands and dashboards see.</summary>
public interface ITrialQuery
{
    Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(TrialFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Finds trials whose id starts with <paramref name="prefix"/>.</summary>
    Task<IReadOnlyList<TrialRecord>> FindTrialsAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Lists studies with counts by status.</summary>
    Task<IReadOnlyList<StudySummary>> ListStudiesAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts a study's trials by status.</summary>
    Task<IReadOnlyDictionary<TrialStatus, int>> CountAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>Counts by status, trials finished since <paramref name="since"/>, and the running trials with their leases.</summary>
    Task<StudyProgress> GetProgressAsync(string studyId, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>The files of a trial kept in the store (see <see cref="TrialOutcome.Files"/>).</summary>
    Task<IReadOnlyList<TrialFileInfo>> ListFilesAsync(string trialId, CancellationToken cancellationToken = default);

    /// <summary>One file of a trial kept in the store, or null.</summary>
    Task<byte[]?> ReadFileAsync(string trialId, string path, CancellationToken cancellationToken = default);

    /// <summary>The step metrics of a trial, by name then step.</summary>
    Task<IReadOnlyList<MetricPoint>> GetMetricsAsync(string trialId, CancellationToken cancellationToken = default);

    /// <summary>The decisions recorded about the points of an adaptive study (none for a study with fixed replications).</summary>
    Task<IReadOnlyList<Adaptive.PointDecision>> GetPointDecisionsAsync(string studyId, CancellationToken cancellationToken = default);
}
