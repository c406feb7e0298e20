using System.CommandLine;
using Expt.Analysis;
using Expt.Cli.Output;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary><c>expt summary STUDY</c>: statistics across replications per group, ranked.</summary>
internal sealed class SummaryCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string[]> _metric = new("--metric", "-m") { Description = "The result(s) to summarise (default: every numeric result)", AllowMultipleArgumentsPerToken = true };
    private readonly Option<string?> _by = new("--by") { Description = "Group by these parameters, comma-separated (default: the whole parameter point)" };
    private readonly Option<bool> _maximize = new("--maximize") { Description = "Higher is better when ranking (default: lower is better)" };
    private readonly Option<bool> _minimize = new("--minimize") { Description = "Lower is better when ranking (the default)" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt summary lr-sweep --metric loss",
        "expt summary lr-sweep --metric accuracy --by optimizer --maximize",
        "expt summary lr-sweep --format json",
    ];

    public override Command Build()
    {
        var command = new Command("summary", "Aggregate a study across replications: n, mean, std, sem, 95% CI, min, median, max and rank per group.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _metric, _by, _maximize, _minimize, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(_maximize) && parseResult.GetValue(_minimize))
        {
            throw new UserException("give --minimize or --maximize, not both");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        var groups = SummarizeAll(trials, parseResult.GetValue(_metric), parseResult.GetValue(_by), !parseResult.GetValue(_maximize));
        var format = parseResult.GetValue(_format);
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w => SummaryOutput.Json(w, groups));
        }
        else
        {
            TableRenderer.Write(Env, SummaryOutput.Table(groups), format);
        }
        return ExitCodes.Success;
    }

    /// <summary>Summaries of the requested (or every numeric) metric, validated against what the trials have.</summary>
    public static IReadOnlyList<GroupSummary> SummarizeAll(IReadOnlyList<TrialRecord> trials, string[]? metrics, string? by, bool minimize)
    {
        var chosen = metrics is { Length: > 0 }
            ? metrics.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : Summarizer.Metrics(trials).ToList();
        // A metric some completed trial has is found at the first such trial; the full list is built only to explain a miss.
        foreach (var metric in chosen.Where(m => !trials.Any(t => t.Status == Trials.TrialStatus.Completed && ResultValues.Number(t, m) is not null)))
        {
            var available = Summarizer.Metrics(trials);
            var suggestion = Spec.StudySpecBinder.Suggest(metric, available);
            throw new UserException($"--metric: no completed trial has a numeric result '{metric}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; results: {(available.Count == 0 ? "none" : string.Join(", ", available))}");
        }
        IReadOnlyList<string>? keys = null;
        if (by is not null)
        {
            keys = by.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var names = trials.SelectMany(t => Spec.ParamSet.FromJson(t.ParamsJson).Names).ToHashSet(StringComparer.Ordinal);
            foreach (var key in keys.Where(k => !names.Contains(k)))
            {
                throw new UserException($"--by: '{key}' is not a parameter; parameters: {string.Join(", ", names)}");
            }
        }
        return chosen.SelectMany(metric => Summarizer.Summarize(trials, metric, keys, minimize)).ToList();
    }
}
