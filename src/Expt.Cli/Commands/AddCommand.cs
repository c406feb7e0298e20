using System.CommandLine;
using System.Text.Json;
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
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Accept more than 1,000,000 points" };

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
        var stored = StoredStudy.Read(study.SpecJson);
        foreach (var set in sets)
        {
            // A study key (replications, seed...) is not something to add: only parameters are.
            var key = set.Split('=', 2)[0].TrimStart('+');
            if (ConfigOverrides.StudyKeys.Contains(key) && !stored.Names.Contains(key))
            {
                throw new UserException($"--set {InputLimits.Quote(set)}: '{key}' is a study key, not a parameter; expt add adds points (use params.{key} for a parameter of that name)");
            }
        }
        var options = new BindOptions { BaseDirectory = Env.WorkingDirectory, AllowLarge = parseResult.GetValue(_yes) };
        var points = StudyLoader.FromCommand(study.Name, ["true"], sets, options).Space.Expand(study.Seed);
        var order = stored.Names.Count > 0 ? stored.Names : points.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList();
        var full = new List<ParamSet>(points.Count);
        foreach (var point in points)
        {
            var values = new Dictionary<string, object?>(stored.Fixed, StringComparer.Ordinal);
            foreach (var (name, value) in point)
            {
                if (stored.Names.Count > 0 && !stored.Names.Contains(name))
                {
                    var suggestion = Text.Suggestions.Closest(name, stored.Names);
                    throw new UserException($"--set {name}: {study.Name} has no parameter '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; its parameters: {string.Join(", ", stored.Names)}");
                }
                values[name] = value;
            }
            if (stored.Names.FirstOrDefault(n => !values.ContainsKey(n)) is { } missing)
            {
                throw new UserException($"--set {missing}=...: missing; every point of {study.Name} sets {string.Join(", ", stored.Names)}");
            }
            full.Add(new ParamSet(order.Where(values.ContainsKey).Select(n => KeyValuePair.Create(n, values[n]))));
        }
        var existing = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        var seq = existing.Count == 0 ? 0 : existing.Max(t => t.Seq) + 1;
        var batch = new List<NewTrial>();
        foreach (var point in full)
        {
            var canonical = point.ToCanonicalJson();
            for (var r = 0; r < stored.Replications; r++)
            {
                var key = TrialIdentity.Key(canonical, r);
                var seed = TrialIdentity.Seed(study.Seed, key);
                batch.Add(new NewTrial(key, seq++, r, point.ToFlatJson(), seed, stored.Retries + 1)
                {
                    Name = stored.TrialName is { } template ? TrialNames.Render(template, point, r, seed, study.Name) : null,
                });
            }
        }
        var added = 0;
        foreach (var chunk in batch.Chunk(Execution.StudyPreparation.EnqueueBatch))
        {
            added += await store.EnqueueAsync(study.Id, chunk, cancellationToken).ConfigureAwait(false);
        }
        var already = batch.Count - added;
        await Env.Error.WriteLineAsync(
            $"added {Counted.Of(added, "trial")} to {study.Name} ({Counted.Of(full.Count, "point")} × {Counted.Of(stored.Replications, "replication")}" +
            (already > 0 ? $"; {already:N0} already there" : string.Empty) + ")" +
            (added > 0 ? $"; run them with expt run FILE or expt worker --study {study.Name}" : string.Empty)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>What <c>expt add</c> needs of a stored study: its parameters, fixed values, replications and retries.</summary>
    private sealed record StoredStudy(IReadOnlyList<string> Names, IReadOnlyDictionary<string, object?> Fixed, int Replications, int Retries, string? TrialName)
    {
        public static StoredStudy Read(string specJson)
        {
            using var doc = JsonDocument.Parse(specJson);
            var root = doc.RootElement;
            var names = new List<string>();
            var fixedJson = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (root.TryGetProperty("axes", out var axes) && axes.ValueKind == JsonValueKind.Object)
            {
                foreach (var axis in axes.EnumerateObject())
                {
                    names.Add(axis.Name);
                    if (axis.Value.ValueKind == JsonValueKind.Array && axis.Value.GetArrayLength() == 1)
                    {
                        fixedJson[axis.Name] = axis.Value[0];
                    }
                }
            }
            foreach (var section in new[] { "points", "random" })
            {
                if (root.TryGetProperty(section, out var value))
                {
                    var members = value.ValueKind switch
                    {
                        JsonValueKind.Array => value.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object).SelectMany(p => p.EnumerateObject()),
                        JsonValueKind.Object => value.EnumerateObject(),
                        _ => [],
                    };
                    names.AddRange(members.Select(m => m.Name));
                }
            }
            var fixedValues = ParamSet.FromJson(JsonSerializer.Serialize(fixedJson)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            int Int(string name, int fallback) => root.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : fallback;
            var trialName = root.TryGetProperty("trial_name", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return new StoredStudy(names.Distinct(StringComparer.Ordinal).ToList(), fixedValues, Math.Max(1, Int("replications", 1)), Math.Max(0, Int("retries", 0)), trialName);
        }
    }
}
