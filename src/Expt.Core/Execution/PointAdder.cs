using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Adds points to a study that exists (PyExperimenter's table filled row by row; <c>expt add</c>, or a C# host): each
/// point laid over the study's fixed values and checked against its parameters and its command, then its trials
/// (the study's replications) enqueued. A point already there adds nothing. Points added this way belong to the
/// study whatever its file says later (<see cref="StudyNarrowing"/>).
/// </summary>
public static class PointAdder
{
    /// <summary>What an add did.</summary>
    /// <param name="Points">Points asked for.</param>
    /// <param name="Replications">Trials per point.</param>
    /// <param name="Added">Trials added.</param>
    /// <param name="Already">Trials that were there already.</param>
    public sealed record Report(int Points, int Replications, int Added, int Already);

    /// <summary>Completes and checks the points; nothing is written when one is rejected.</summary>
    /// <exception cref="PointRejectedException">A point names a parameter the study lacks, lacks one it has, or holds a value its command would run as code.</exception>
    public static IReadOnlyList<ParamSet> Complete(StudyRecord study, IReadOnlyList<ParamSet> points)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(points);
        var stored = StoredSpec.Read(study.SpecJson);
        var order = stored.ParameterNames.Count > 0 ? stored.ParameterNames : points.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList();
        var full = new List<ParamSet>(points.Count);
        foreach (var point in points)
        {
            var values = new Dictionary<string, object?>(stored.FixedValues, StringComparer.Ordinal);
            foreach (var (name, value) in point)
            {
                if (stored.ParameterNames.Count > 0 && !stored.ParameterNames.Contains(name))
                {
                    var suggestion = Text.Suggestions.Closest(name, stored.ParameterNames);
                    throw new PointRejectedException(name, $"{study.Name} has no parameter '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; its parameters: {string.Join(", ", stored.ParameterNames)}");
                }
                values[name] = value;
            }
            if (stored.ParameterNames.FirstOrDefault(n => !values.ContainsKey(n)) is { } missing)
            {
                throw new PointRejectedException(missing + "=...", $"missing; every point of {study.Name} sets {string.Join(", ", stored.ParameterNames)}");
            }
            full.Add(new ParamSet(order.Where(values.ContainsKey).Select(n => KeyValuePair.Create(n, values[n]))));
        }
        RefuseCode(study.Name, stored, full);
        return full;
    }

    /// <summary>Enqueues the trials of complete points (see <see cref="Complete"/>), recording the add as it starts and ends.</summary>
    public static async Task<Report> AddAsync(IExptStore store, StudyRecord study, IReadOnlyList<ParamSet> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(points);
        var stored = StoredSpec.Read(study.SpecJson);
        var existing = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, PreviewChars = 0 }, cancellationToken).ConfigureAwait(false);
        var seq = existing.Count == 0 ? 0 : existing.Max(t => t.Seq) + 1;
        // An adaptive study's points leave room in the sequence for the replicates added as results come in.
        var stride = Math.Max(stored.Replications, Adaptive.AdaptiveRules.For(study)?.Plan.MaxReplicates ?? 0);
        var factory = new TrialFactory(study.Seed, study.Name, stored.TrialName, stored.Resources, stored.Retries + 1, stride);
        // Each point starts on a stride boundary, so {point} in a name is its index as for planned points.
        seq = (seq + stride - 1) / stride * stride;
        var batch = new List<NewTrial>();
        foreach (var point in points)
        {
            var canonical = point.ToCanonicalJson();
            for (var r = 0; r < stored.Replications; r++)
            {
                batch.Add(factory.Create(point, r, seq, canonical));
            }
            seq += stride;
        }
        // Recorded before the first batch and after the last: an add cut short says so (and the same add finishes it).
        var keys = existing.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        var expected = existing.Count + batch.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count(k => !keys.Contains(k));
        await EnqueueProgress.StartAsync(store, study.Id, expected, exact: true, "expt add", cancellationToken).ConfigureAwait(false);
        var added = 0;
        foreach (var chunk in batch.Chunk(StudyPreparation.EnqueueBatch))
        {
            added += await store.EnqueueAsync(study.Id, chunk, cancellationToken).ConfigureAwait(false);
        }
        await EnqueueProgress.FinishAsync(store, study.Id, added, cancellationToken).ConfigureAwait(false);
        // Points added by hand belong to the study whatever its file says: a run that narrows to the file keeps them.
        var pointKeys = points.Select(p => TrialIdentity.Key(p.ToCanonicalJson(), 0)).Distinct(StringComparer.Ordinal).ToList();
        await store.AddStudyEventAsync(study.Id, StudyNarrowing.PointsAddedEvent, JsonSerializer.Serialize(new Dictionary<string, object> { ["keys"] = pointKeys }), cancellationToken).ConfigureAwait(false);
        return new Report(points.Count, stored.Replications, added, batch.Count - added);
    }

    // The study file's rule for values that reach code, applied to the values added now: where the command reads a
    // placeholder as code (see CommandTemplate.PlaceholdersReadAsCode), only plain words may go.
    private static void RefuseCode(string study, StoredSpec stored, IReadOnlyList<ParamSet> points)
    {
        if (stored.Command is not { } text)
        {
            return;
        }
        IReadOnlyList<(string Name, string Where)> code;
        try
        {
            code = new CommandTemplate(text, stored.Shell).PlaceholdersReadAsCode();
        }
        catch (FormatException)
        {
            return;
        }
        foreach (var (placeholder, where) in code)
        {
            if (CommandTemplate.Resolve(placeholder).Parameter is not { } name)
            {
                continue;
            }
            foreach (var point in points)
            {
                if (point.TryGetValue(name, out var value) && value is string word && !CommandTemplate.IsPlainWord(word))
                {
                    throw new PointRejectedException(name, $"the value '{InputLimits.Quote(word)}' would run as code: the command of {study} has {{{placeholder}}} {where}; only plain words may go there (letters, digits, _-.,/:=+@%)");
                }
            }
        }
    }
}
