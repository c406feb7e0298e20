using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Creates a study in a store (or finds it, for a resume) and enqueues the trials of its plan that are not there yet.
/// Running the same study again therefore adds only new points and never re-runs completed trials.
/// </summary>
public static class StudyPreparation
{
    /// <summary>The largest batch of trials enqueued in one transaction.</summary>
    public const int EnqueueBatch = 10_000;

    /// <summary>
    /// Checks compatibility, creates the study, enqueues its trials and, with <paramref name="requeueCancelled"/>, keeps
    /// its unfinished trials in step with the file (<see cref="StudyNarrowing"/>: withdrawn outside it, interrupted ones
    /// resumed, ones cancelled by hand left cancelled). The plan is streamed
    /// (memory stays that of two batches, whatever the study's size); the enqueue is recorded as it starts and when it
    /// finishes (<see cref="EnqueueProgress"/>), so one cut short is visible, and running again finishes it.
    /// </summary>
    /// <exception cref="StudyConflictException">A study of that name exists with another seed, command or parameter names.</exception>
    public static async Task<PreparedStudy> PrepareAsync(IExptStore store, StudySpec spec, string? provenanceJson, bool requeueCancelled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        var existing = await store.GetStudyAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Fingerprint != spec.Fingerprint)
        {
            throw new StudyConflictException(Describe(existing, spec));
        }
        var description = spec.Description is null ? null : Provenance.Redactor.RedactText(spec.Description);
        var definition = new StudyDefinition(spec.Name, description, spec.Tags, spec.ToJson(), spec.Fingerprint, spec.Seed, provenanceJson);
        var (study, created) = await store.CreateStudyAsync(definition, cancellationToken).ConfigureAwait(false);
        if (study.Fingerprint != spec.Fingerprint)
        {
            throw new StudyConflictException(Describe(study, spec)); // created concurrently by someone else
        }
        if (!created && (study.SpecJson != definition.SpecJson || study.Description != definition.Description || !study.Tags.SequenceEqual(definition.Tags)))
        {
            // Same trials, newer file: objectives, trial names, description or tags edited since the study began.
            await store.UpdateStudySpecAsync(study.Id, definition.SpecJson, definition.Description, definition.Tags, cancellationToken).ConfigureAwait(false);
            study = study with { SpecJson = definition.SpecJson, Description = definition.Description, Tags = definition.Tags };
        }
        var before = created ? 0 : (await store.CountAsync(study.Id, cancellationToken).ConfigureAwait(false)).Values.Sum();
        var unfinished = created ? null : await EnqueueProgress.ReadAsync(store, study.Id, before, cancellationToken).ConfigureAwait(false);
        // Read before the new trials go in: only trials already there can have left the file's space.
        var narrowing = created || !requeueCancelled ? null : await StudyNarrowing.StartAsync(store, study.Id, cancellationToken).ConfigureAwait(false);
        var planned = (long)Math.Min(spec.Space.EstimatedSize * spec.Replications, long.MaxValue);
        await EnqueueProgress.StartAsync(store, study.Id, Math.Max(before, planned), exact: spec.Space.IsSizeExact, "expt run", cancellationToken).ConfigureAwait(false);
        long added = 0, count = 0;
        // Pipelined: the next batch is serialized while the store writes earlier ones, two at a time (a server store
        // uses two connections and both of its cores; SQLite takes them in turn).
        var writing = new Queue<Task<int>>();
        var factory = TrialFactory.For(spec);
        foreach (var chunk in TrialPlan.Enumerate(spec).Chunk(EnqueueBatch))
        {
            count += chunk.Length;
            var batch = chunk.Select(t =>
            {
                narrowing?.Planned(t.Params);
                return factory.Create(t);
            }).ToList();
            if (writing.Count == 2)
            {
                added += await writing.Dequeue().ConfigureAwait(false);
            }
            writing.Enqueue(store.EnqueueAsync(study.Id, batch, cancellationToken));
        }
        while (writing.Count > 0)
        {
            added += await writing.Dequeue().ConfigureAwait(false);
        }
        await EnqueueProgress.FinishAsync(store, study.Id, added, cancellationToken).ConfigureAwait(false);
        var changes = narrowing is null ? NarrowingReport.None : await narrowing.ApplyAsync(store, study.Id, spec, cancellationToken).ConfigureAwait(false);
        return new PreparedStudy(study, count, created, added, changes.Requeued) { Unfinished = unfinished, Narrowing = changes };
    }

    /// <summary>The first free name of the form <c>name-v2</c>, <c>name-v3</c>...</summary>
    public static async Task<string> NextVersionNameAsync(IExptStore store, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        for (var version = 2; ; version++)
        {
            var candidate = $"{name}-v{version}";
            if (await store.GetStudyAsync(candidate, cancellationToken).ConfigureAwait(false) is null)
            {
                return candidate;
            }
        }
    }

    private static string Describe(StudyRecord stored, StudySpec spec)
    {
        var changes = new List<string>();
        var old = StoredSpec.Read(stored.SpecJson);
        if (stored.Seed != spec.Seed)
        {
            changes.Add($"seed {stored.Seed} → {spec.Seed}");
        }
        if (old.Command != spec.StoredCommand)
        {
            changes.Add($"command '{old.Command}' → '{spec.StoredCommand}'");
        }
        if (old.Experiment != spec.Experiment)
        {
            changes.Add($"experiment '{old.Experiment}' → '{spec.Experiment}'");
        }
        if (old.Python?.Function != spec.Python?.Function)
        {
            changes.Add($"python '{old.Python?.Function}' → '{spec.Python?.Function}'");
        }
        var oldNames = new SortedSet<string>(old.ParameterNames, StringComparer.Ordinal);
        var newNames = new SortedSet<string>(spec.Space.Names, StringComparer.Ordinal);
        if (!oldNames.SetEquals(newNames))
        {
            changes.Add($"parameters [{string.Join(", ", oldNames)}] → [{string.Join(", ", newNames)}]");
        }
        if (changes.Count == 0)
        {
            changes.Add("its definition");
        }
        return $"study '{stored.Name}' already exists in the store with a different {string.Join(", ", changes)}; " +
            "its trials would not be comparable. Run with --new to start a new version of the study, or give it another name.";
    }
}
