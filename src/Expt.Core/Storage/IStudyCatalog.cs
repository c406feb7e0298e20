namespace Expt.Storage;

/// <summary>Creates studies and enqueues their trials.</summary>
public interface IStudyCatalog
{
    /// <summary>Creates a study, or returns the existing one of that name unchanged.</summary>
    /// <returns>The study and whether it was created by this call.</returns>
    Task<(StudyRecord Study, bool Created)> CreateStudyAsync(StudyDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Finds a study by name.</summary>
    Task<StudyRecord?> GetStudyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Adds the trials that are not there yet (by key); idempotent and safe to run concurrently.</summary>
    /// <returns>How many were added.</returns>
    Task<int> EnqueueAsync(string studyId, IReadOnlyList<NewTrial> trials, CancellationToken cancellationToken = default);

    /// <summary>Records an event with a study (kept until the study is deleted).</summary>
    Task AddStudyEventAsync(string studyId, string kind, string dataJson, CancellationToken cancellationToken = default);

    /// <summary>A study's events of one kind (or all), oldest first.</summary>
    Task<IReadOnlyList<StudyEvent>> GetStudyEventsAsync(string studyId, string? kind = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a study with its trials and metrics.</summary>
    Task DeleteStudyAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>Deletes trials (and their metrics) by id.</summary>
    Task<int> DeleteTrialsAsync(IReadOnlyList<string> trialIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the stored spec of a study (same fingerprint: only what does not change its trials, such as
    /// objectives, trial names or the description, can differ), so a resumed study follows its file.
    /// </summary>
    Task UpdateStudySpecAsync(string studyId, string specJson, string? description, IReadOnlyList<string> tags, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the provenance of an invocation under its id (a hash of the provenance): stored once, however many
    /// invocations share it. Returns true when it was new.
    /// </summary>
    Task<bool> RecordRunAsync(string runId, string provenanceJson, CancellationToken cancellationToken = default);

    /// <summary>The provenance recorded under a run id, or null.</summary>
    Task<string?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Adds and removes tags of trials; returns how many trials exist among <paramref name="trialIds"/>.</summary>
    Task<int> TagTrialsAsync(IReadOnlyList<string> trialIds, IReadOnlyList<string> add, IReadOnlyList<string> remove, CancellationToken cancellationToken = default);

    /// <summary>Sets (or, with null, clears) the note of trials; returns how many were found.</summary>
    Task<int> NoteTrialsAsync(IReadOnlyList<string> trialIds, string? note, CancellationToken cancellationToken = default);
}
