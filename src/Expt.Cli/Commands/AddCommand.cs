using System.CommandLine;
using Expt.Spec;
using Expt.Storage;
using Expt.Text;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt add STUDY --set dataset=digits --set lr=0.1,0.2</c>: adds points (the product of the values) to an
/// existing study, each with the study's replications, as pending trials. Adding a point already there adds nothing.
/// </summary>
internal sealed class AddCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string[]> _set = new("--set", "-s")
    {
        Description = "A parameter's value or values: --set lr=0.1,0.2 (every combination of the --set values is added)",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Accept adding more than 1,000,000 trials" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt add table --set dataset=digits --set lr=0.1,0.2",
        "expt add table --set dataset=iris,wine --set 'lr=range(0.1,0.5,0.1)'",
    ];

    public override Command Build()
    {
        var command = new Command("add", "Add points to a study (e.g. one made with points: []): pending trials that expt run or expt worker then runs.");
        command.Arguments.Add(_study);
        command.Options.Add(_set);
        command.Options.Add(_yes);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var sets = parseResult.GetValue(_set) ?? [];
        if (sets.Length == 0)
        {
            throw new UserException("expected at least one --set NAME=VALUE");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var stored = StoredSpec.Read(study.SpecJson);
        // expt add sets parameters only, so a parameter named like a study key (PyExperimenter's keyfield 'seed') is
        // meant by its bare name: no params. needed here.
        sets = [.. sets.Select(set => set.Split('=', 2)[0] is var name && ConfigOverrides.StudyKeys.Contains(name) && stored.ParameterNames.Contains(name) ? "params." + set : set)];
        foreach (var set in sets)
        {
            // A study key (replications, seed...) is not something to add: only parameters are.
            var key = set.Split('=', 2)[0].TrimStart('+');
            if (ConfigOverrides.StudyKeys.Contains(key) && !stored.ParameterNames.Contains(key))
            {
                throw new UserException($"--set {InputLimits.Quote(set)}: '{key}' is a study key, not a parameter; expt add adds points (use params.{key} for a parameter of that name)");
            }
        }
        var options = new BindOptions { BaseDirectory = Env.WorkingDirectory, AllowLarge = parseResult.GetValue(_yes) };
        var space = StudyLoader.FromCommand(study.Name, ["true"], sets, options).Space;
        // The guard counts trials: each point is as many trials as the study has replications.
        var trials = space.EstimatedSize * Math.Max(1, stored.Replications);
        if (trials > options.TrialLimit && !options.AllowLarge)
        {
            throw new UserException($"--set: {space.EstimatedSize:N0} points × {Counted.Of(stored.Replications, "replication")} = {trials:N0} trials, more than the limit of {options.TrialLimit:N0}; pass --yes to add them anyway");
        }
        var points = space.Expand(study.Seed);
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
                    throw new UserException($"--set {name}: {study.Name} has no parameter '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; its parameters: {string.Join(", ", stored.ParameterNames)}");
                }
                values[name] = value;
            }
            if (stored.ParameterNames.FirstOrDefault(n => !values.ContainsKey(n)) is { } missing)
            {
                throw new UserException($"--set {missing}=...: missing; every point of {study.Name} sets {string.Join(", ", stored.ParameterNames)}");
            }
            full.Add(new ParamSet(order.Where(values.ContainsKey).Select(n => KeyValuePair.Create(n, values[n]))));
        }
        RefuseCode(study.Name, stored, full);
        var existing = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        var seq = existing.Count == 0 ? 0 : existing.Max(t => t.Seq) + 1;
        var batch = new List<NewTrial>();
        // An adaptive study's points leave room in the sequence for the replicates added as results come in.
        var stride = Math.Max(stored.Replications, Adaptive.AdaptiveRules.For(study)?.Plan.MaxReplicates ?? 0);
        var factory = new TrialFactory(study.Seed, study.Name, stored.TrialName, stored.Resources, stored.Retries + 1, stride);
        // Each point starts on a stride boundary, so {point} in a name is its index as for planned points.
        seq = (seq + stride - 1) / stride * stride;
        foreach (var point in full)
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
        await Execution.EnqueueProgress.StartAsync(store, study.Id, expected, exact: true, "expt add", cancellationToken).ConfigureAwait(false);
        var added = 0;
        foreach (var chunk in batch.Chunk(Execution.StudyPreparation.EnqueueBatch))
        {
            added += await store.EnqueueAsync(study.Id, chunk, cancellationToken).ConfigureAwait(false);
        }
        await Execution.EnqueueProgress.FinishAsync(store, study.Id, added, cancellationToken).ConfigureAwait(false);
        // Points added by hand belong to the study whatever its file says: a run that narrows to the file keeps them.
        var pointKeys = full.Select(p => TrialIdentity.Key(p.ToCanonicalJson(), 0)).Distinct(StringComparer.Ordinal).ToList();
        await store.AddStudyEventAsync(study.Id, Execution.StudyNarrowing.PointsAddedEvent, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["keys"] = pointKeys }), cancellationToken).ConfigureAwait(false);
        var already = batch.Count - added;
        await Env.Error.WriteLineAsync(
            $"added {Counted.Of(added, "trial")} to {study.Name} ({Counted.Of(full.Count, "point")} × {Counted.Of(stored.Replications, "replication")}" +
            (already > 0 ? $"; {already:N0} already there" : string.Empty) + ")" +
            (added > 0 ? $"; run them with expt run FILE or expt worker --study {study.Name}" : string.Empty)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// The study file's rule for values that reach code, applied to the values added now: where the command reads a
    /// placeholder as code (see <see cref="CommandTemplate.PlaceholdersReadAsCode"/>), only plain words may go.
    /// </summary>
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
                    throw new UserException($"--set {name}: the value '{InputLimits.Quote(word)}' would run as code: the command of {study} has {{{placeholder}}} {where}; only plain words may go there (letters, digits, _-.,/:=+@%)");
                }
            }
        }
    }
}
