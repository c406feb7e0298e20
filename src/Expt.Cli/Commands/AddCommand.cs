using System.CommandLine;
using Expt.Spec;
using Expt.Text;

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
        IReadOnlyList<ParamSet> full;
        try
        {
            full = Execution.PointAdder.Complete(study, space.Expand(study.Seed));
        }
        catch (Execution.PointRejectedException ex)
        {
            throw new UserException($"--set {ex.Parameter}: {ex.Message}");
        }
        var report = await Execution.PointAdder.AddAsync(store, study, full, cancellationToken).ConfigureAwait(false);
        var (added, already) = (report.Added, report.Already);
        await Env.Error.WriteLineAsync(
            $"added {Counted.Of(added, "trial")} to {study.Name} ({Counted.Of(full.Count, "point")} × {Counted.Of(stored.Replications, "replication")}" +
            (already > 0 ? $"; {already:N0} already there" : string.Empty) + ")" +
            (added > 0 ? $"; run them with expt run FILE or expt worker --study {study.Name}" : string.Empty)).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
