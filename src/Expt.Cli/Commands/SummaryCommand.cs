using System.CommandLine;
using Expt.Adaptive;
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
    private readonly Option<bool> _maximize = new("--maximize") { Description = "Higher is better when ranking (default: the study's objectives, else lower is better)" };
    private readonly Option<bool> _minimize = new("--minimize") { Description = "Lower is better when ranking (default: the study's objectives, else lower is better)" };
    private readonly Option<bool> _pool = new("--pool") { Description = "For an array result: pool every element of a group's trials into one distribution (quantiles) instead of merging element by element" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt summary lr-sweep --metric loss",
        "expt summary lr-sweep --metric accuracy --by optimizer",
        "expt summary lr-sweep --format json",
        "expt summary lr-sweep --metric solution_vector",
        "expt summary lr-sweep --metric samples --pool",
    ];

    public override Command Build()
    {
        var command = new Command("summary", "Aggregate a study across replications: n, mean, std, sem, 95% CI, min, median, max and rank per group.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _metric, _by, _maximize, _minimize, _pool, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        var goal = Summaries.Chosen(parseResult.GetValue(_minimize), parseResult.GetValue(_maximize));
        var objectives = Objectives.FromSpecJson(study.SpecJson);
        var format = parseResult.GetValue(_format);
        var requested = Summaries.Requested(parseResult.GetValue(_metric));
        var arrays = requested.Count == 0 ? [] : ArraySummarizer.ArrayMetrics(trials).Where(requested.Contains).Where(m => !Summarizer.Metrics(trials).Contains(m)).ToList();
        if (arrays.Count > 0)
        {
            if (arrays.Count < requested.Count)
            {
                throw new UserException($"--metric: summarise array results ({string.Join(", ", arrays)}) apart from numbers ({string.Join(", ", requested.Except(arrays))})");
            }
            var by = Summaries.Keys(trials, parseResult.GetValue(_by));
            if (parseResult.GetValue(_pool))
            {
                var pooled = arrays.SelectMany(m => ArraySummarizer.Pooled(trials, m, by)).ToList();
                if (format == OutputFormat.Json)
                {
                    JsonOutput.Write(Env, w => ArraySummaryOutput.PooledJson(w, pooled));
                }
                else
                {
                    TableRenderer.Write(Env, ArraySummaryOutput.PooledTable(pooled), format);
                }
                return ExitCodes.Success;
            }
            var merged = arrays.SelectMany(m => ArraySummarizer.ElementWise(trials, m, by)).ToList();
            if (format == OutputFormat.Json)
            {
                JsonOutput.Write(Env, w => ArraySummaryOutput.ElementWiseJson(w, merged));
            }
            else
            {
                TableRenderer.Write(Env, ArraySummaryOutput.ElementWiseTable(merged), format);
                if (format == OutputFormat.Table)
                {
                    await Env.Error.WriteLineAsync("element-wise over replications; every value: --format json, or expt export --what merged").ConfigureAwait(false);
                }
            }
            return ExitCodes.Success;
        }
        if (parseResult.GetValue(_pool))
        {
            throw new UserException("--pool applies to array results: name one with --metric");
        }
        var groups = Summaries.SummarizeAll(trials, parseResult.GetValue(_metric), parseResult.GetValue(_by), objectives, goal);
        // Per point: an adaptive study's decisions line up with the groups only when they are its points (no --by).
        var adaptive = parseResult.GetValue(_by) is null
            ? AdaptiveReport.For(study, trials, await store.GetPointDecisionsAsync(study.Id, cancellationToken).ConfigureAwait(false))
            : null;
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w => SummaryOutput.Json(w, groups, adaptive));
        }
        else
        {
            TableRenderer.Write(Env, SummaryOutput.Table(groups, adaptive), format);
            if (format == OutputFormat.Table && groups.Count > 0)
            {
                await Env.Error.WriteLineAsync("rank 1 is the best: " + Summaries.RankingNote(groups, objectives, goal)).ConfigureAwait(false);
            }
            if (format == OutputFormat.Table && adaptive is not null)
            {
                await Env.Error.WriteLineAsync(adaptive.Headline).ConfigureAwait(false);
            }
            if (format == OutputFormat.Table && EnergyLine(trials) is { } energy)
            {
                await Env.Error.WriteLineAsync(energy).ConfigureAwait(false);
            }
        }
        return ExitCodes.Success;
    }

    // What the study's trials cost in energy, every attempt counted: estimated, and said to be.
    private static string? EnergyLine(IReadOnlyList<TrialRecord> trials)
    {
        var usages = trials.Select(t => Resources.TrialUsage.FromJson(t.UsageJson)).Where(u => u?.EnergyWh is not null).ToList();
        if (usages.Count == 0)
        {
            return null;
        }
        var wh = usages.Sum(u => u!.EnergyWh!.Value);
        var co2 = usages.Sum(u => u!.Co2Grams ?? 0);
        var method = usages.GroupBy(u => u!.EnergyMethod).OrderByDescending(g => g.Count()).First().Key ?? "estimate";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"energy: {Resources.TrialUsage.FormatWh(wh)}, {co2:0.####} g CO2 over {Text.Counted.Of(usages.Count, "trial")} ({method}); per trial: --metric usage.energy_wh,usage.co2_g");
    }
}
