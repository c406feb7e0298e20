using System.CommandLine;
using System.Globalization;
using Expt.Analysis;
using Expt.Cli.Output;
using Expt.Expressions;
using Expt.Spec;
using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt compare-groups STUDY --metric M --a EXPR --b EXPR</c>: is A better than B, by how much, how sure.</summary>
internal sealed class CompareGroupsCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string> _metric = new("--metric", "-m") { Description = "The result to compare", Required = true };
    private readonly Option<string> _a = new("--a") { Description = "Group A: a where-expression over parameters, e.g. 'optimizer == \"adam\"'", Required = true };
    private readonly Option<string> _b = new("--b") { Description = "Group B: a where-expression over parameters", Required = true };
    private readonly Option<bool> _maximize = new("--maximize") { Description = "Higher is better (default: the study's objectives, else lower)" };
    private readonly Option<bool> _minimize = new("--minimize") { Description = "Lower is better (default: the study's objectives, else lower)" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt compare-groups lr-sweep --metric loss --a 'optimizer == \"adam\"' --b 'optimizer == \"sgd\"'",
        "expt compare-groups quickstart -m best --a 'cooling == 0.99 and problem == \"rastrigin\"' --b 'cooling == 0.9 and problem == \"rastrigin\"' --format json",
    ];

    public override Command Build()
    {
        var command = new Command("compare-groups", "Compare a metric between two groups of trials: difference of means with its 95% CI, Welch t-test and Mann-Whitney U p-values.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _metric, _a, _b, _maximize, _minimize, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var a = Lookup.Where("--a", parseResult.GetValue(_a))!;
        var b = Lookup.Where("--b", parseResult.GetValue(_b))!;
        var metric = parseResult.GetValue(_metric)!;
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, Statuses = [TrialStatus.Completed] }, cancellationToken).ConfigureAwait(false);
        if (!Summarizer.Metrics(trials).Contains(metric))
        {
            throw new UserException($"--metric: no completed trial has a numeric result '{metric}'; results: {string.Join(", ", Summarizer.Metrics(trials))}");
        }
        var sampleA = Sample(trials, a, metric);
        var sampleB = Sample(trials, b, metric);
        if (sampleA.Count == 0 || sampleB.Count == 0)
        {
            throw new UserException($"group {(sampleA.Count == 0 ? "A" : "B")} matches no completed trial with '{metric}'");
        }
        var c = GroupComparison.Of(sampleA, sampleB);
        var objectives = Objectives.FromSpecJson(study.SpecJson);
        var chosen = Summaries.Chosen(parseResult.GetValue(_minimize), parseResult.GetValue(_maximize));
        var goal = objectives.Resolve(metric, chosen);
        var declared = chosen is not null || objectives.GoalOf(metric) is not null;
        // Which group is better, by the study's goal, and only when both tests agree it is not chance.
        var sure = c.WelchP < 0.05 && c.MannWhitneyP < 0.05;
        var aBetter = goal == Goal.Minimize ? c.Difference < 0 : c.Difference > 0;
        var verdict = !sure || double.IsNaN(c.Difference) || c.Difference == 0
            ? "neither (no significant difference at 5%)"
            : aBetter ? "A" : "B";
        if (parseResult.GetValue(_format) == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartObject();
                w.WriteString("metric", metric);
                w.WriteString("a", a.Text);
                w.WriteString("b", b.Text);
                w.WriteNumber("n_a", c.NA);
                w.WriteNumber("n_b", c.NB);
                SummaryOutput.Number(w, "mean_a", c.MeanA);
                SummaryOutput.Number(w, "mean_b", c.MeanB);
                SummaryOutput.Number(w, "difference", c.Difference);
                SummaryOutput.Number(w, "ci_low", c.CiLow);
                SummaryOutput.Number(w, "ci_high", c.CiHigh);
                SummaryOutput.Number(w, "welch_t", c.WelchT);
                SummaryOutput.Number(w, "welch_df", c.WelchDf);
                SummaryOutput.Number(w, "welch_p", c.WelchP);
                SummaryOutput.Number(w, "mann_whitney_u", c.MannWhitneyU);
                SummaryOutput.Number(w, "mann_whitney_p", c.MannWhitneyP);
                w.WriteString("mann_whitney_method", c.MannWhitneyMethod);
                w.WriteString("goal", goal == Goal.Minimize ? "minimize" : "maximize");
                w.WriteBoolean("goal_declared", declared);
                w.WriteString("better", verdict.StartsWith("neither", StringComparison.Ordinal) ? null : verdict);
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }
        static string G(double v) => double.IsNaN(v) ? "-" : v.ToString("G6", CultureInfo.InvariantCulture);
        TableRenderer.Write(Env, new TableData(["comparison", "value"],
        [
            ["metric", metric],
            ["A", $"{a.Text}: n={c.NA}, mean {G(c.MeanA)}"],
            ["B", $"{b.Text}: n={c.NB}, mean {G(c.MeanB)}"],
            ["A − B", G(c.Difference)],
            ["95% CI of A − B", $"[{G(c.CiLow)}, {G(c.CiHigh)}]"],
            ["Welch t-test", $"t = {G(c.WelchT)}, df = {G(c.WelchDf)}, p = {G(c.WelchP)}"],
            ["Mann-Whitney U", $"U = {G(c.MannWhitneyU)}, p = {G(c.MannWhitneyP)} ({c.MannWhitneyMethod})"],
            ["better", $"{verdict} ({(goal == Goal.Minimize ? "lower" : "higher")} {metric} is better{(declared ? string.Empty : ": no objective declared for it")})"],
        ]), parseResult.GetValue(_format));
        return ExitCodes.Success;
    }

    private static List<double> Sample(IReadOnlyList<TrialRecord> trials, WhereExpression group, string metric) =>
        trials.Where(t => group.Evaluate(ParamSet.FromJson(t.ParamsJson).TryGetValue))
            .OrderBy(t => t.Seq)
            .Select(t => ResultValues.Number(t.ResultsJson, metric))
            .Where(v => v is not null)
            .Select(v => v!.Value)
            .ToList();
}
