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

/// <summary>
/// <c>expt compare-groups STUDY... --metric M [--a EXPR --b EXPR]</c>: is A better than B, by how much, how sure. Groups
/// may come from several studies (two studies and no --a/--b: one study each) and filter on parameters, results and
/// fields; when both groups ran the same seeds, the trials are paired by seed.
/// </summary>
internal sealed class CompareGroupsCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string[]> _studies = new("study") { Description = "The study, or several (groups may then name study == \"...\")", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string> _metric = new("--metric", "-m") { Description = "The result to compare", Required = true };
    private readonly Option<string?> _a = new("--a") { Description = "Group A: a where-expression over parameters, results and fields (study, replicate, seed, ...), e.g. 'optimizer == \"adam\"'; with two studies and no --a/--b, the first study" };
    private readonly Option<string?> _b = new("--b") { Description = "Group B: as --a; with two studies and no --a/--b, the second study" };
    private readonly Option<bool> _maximize = new("--maximize") { Description = "Higher is better (default: the study's objectives, else lower)" };
    private readonly Option<bool> _minimize = new("--minimize") { Description = "Lower is better (default: the study's objectives, else lower)" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt compare-groups lr-sweep --metric loss --a 'optimizer == \"adam\"' --b 'optimizer == \"sgd\"'",
        "expt compare-groups quickstart -m best --a 'cooling == 0.99 and problem == \"rastrigin\"' --b 'cooling == 0.9 and problem == \"rastrigin\"' --format json",
        "expt compare-groups baseline improved -m loss",
        "expt compare-groups baseline improved -m loss --a 'study == \"baseline\" and lr == 0.1' --b 'study == \"improved\" and lr == 0.1'",
    ];

    public override Command Build()
    {
        var command = new Command("compare-groups", "Compare a metric between two groups of trials: difference of means with its 95% CI, Welch t-test and Mann-Whitney U p-values.");
        command.Arguments.Add(_studies);
        foreach (var option in new Option[] { _metric, _a, _b, _maximize, _minimize, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var names = parseResult.GetValue(_studies) ?? [];
        var (aText, bText) = (parseResult.GetValue(_a), parseResult.GetValue(_b));
        if (aText is null != bText is null || (aText is null && names.Length != 2))
        {
            throw new UserException(names.Length == 2
                ? "give both --a and --b, or neither (then A is the first study and B the second)"
                : "expected --a and --b (each a where-expression); with two studies and neither, A is the first study and B the second");
        }
        aText ??= $"study == {WhereExpression.Literalize(names[0])}";
        bText ??= $"study == {WhereExpression.Literalize(names[1])}";
        var a = Lookup.Where("--a", aText)!;
        var b = Lookup.Where("--b", bText)!;
        var metric = parseResult.GetValue(_metric)!;
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var studies = new List<StudyRecord>();
        var trialList = new List<TrialRecord>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var one = await Lookup.StudyAsync(store, name, cancellationToken).ConfigureAwait(false);
            studies.Add(one);
            trialList.AddRange(await store.ListTrialsAsync(new TrialFilter { StudyId = one.Id, Statuses = [TrialStatus.Completed] }, cancellationToken).ConfigureAwait(false));
        }
        var study = studies[0];
        IReadOnlyList<TrialRecord> trials = trialList;
        if (!Summarizer.Metrics(trials).Contains(metric))
        {
            throw new UserException($"--metric: no completed trial has a numeric result '{metric}'; results: {string.Join(", ", Summarizer.Metrics(trials))}");
        }
        var groupA = Group(trials, a, metric);
        var groupB = Group(trials, b, metric);
        foreach (var (label, group, expression) in new[] { ("A", groupA, a), ("B", groupB, b) })
        {
            if (group.Count == 0)
            {
                throw new UserException($"group {label} matches no completed trial with '{metric}'{Unknown(trials, expression)}");
            }
        }
        var sampleA = groupA.Select(g => g.Value).ToList();
        var sampleB = groupB.Select(g => g.Value).ToList();
        var paired = Pairs(groupA, groupB) is { } pairs ? PairedComparison.Of(pairs) : null;
        var c = GroupComparison.Of(sampleA, sampleB);
        var objectives = Objectives.FromSpecJson(study.SpecJson);
        if (studies.Count > 1 && studies.Skip(1).Any(other => Objectives.FromSpecJson(other.SpecJson).GoalOf(metric) is { } g && g != objectives.GoalOf(metric)))
        {
            throw new UserException($"the studies disagree on which way '{metric}' is better (their objectives); say --minimize or --maximize");
        }
        var chosen = Summaries.Chosen(parseResult.GetValue(_minimize), parseResult.GetValue(_maximize));
        var goal = objectives.Resolve(metric, chosen);
        var declared = chosen is not null || objectives.GoalOf(metric) is not null;
        // Which group is better, by the study's goal, and only when it is not chance: the paired test when the groups ran
        // the same seeds, else both unpaired tests agreeing.
        var sure = paired is not null ? paired.P < 0.05 : c.WelchP < 0.05 && c.MannWhitneyP < 0.05;
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
                if (paired is not null)
                {
                    w.WriteStartObject("paired");
                    w.WriteNumber("n", paired.N);
                    SummaryOutput.Number(w, "mean_difference", paired.MeanDifference);
                    SummaryOutput.Number(w, "ci_low", paired.CiLow);
                    SummaryOutput.Number(w, "ci_high", paired.CiHigh);
                    SummaryOutput.Number(w, "t", paired.T);
                    SummaryOutput.Number(w, "df", paired.Df);
                    SummaryOutput.Number(w, "p", paired.P);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("paired");
                }
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
            ["paired by seed", paired is null ? "no (the groups did not run the same seeds)" : $"{paired.N} pairs: A − B = {G(paired.MeanDifference)}, 95% CI [{G(paired.CiLow)}, {G(paired.CiHigh)}], t = {G(paired.T)}, df = {G(paired.Df)}, p = {G(paired.P)}"],
            ["better", $"{verdict} ({(goal == Goal.Minimize ? "lower" : "higher")} {metric} is better{(declared ? string.Empty : ": no objective declared for it")})"],
        ]) { Wrappable = new HashSet<int> { 1 } }, parseResult.GetValue(_format));
        return ExitCodes.Success;
    }

    private static List<(long Seed, double Value)> Group(IReadOnlyList<TrialRecord> trials, WhereExpression group, string metric) =>
        [.. trials.Where(group.Matches)
            .OrderBy(t => t.StudyName, StringComparer.Ordinal).ThenBy(t => t.Seq)
            .Select(t => (t.Seed, Value: ResultValues.Number(t.ResultsJson, metric)))
            .Where(v => v.Value is not null)
            .Select(v => (v.Seed, v.Value!.Value))];

    // Paired when each group ran each of the same seeds once (two studies of the same seed and points, or one study's
    // points that share seeds): then A − B per seed.
    private static List<(double A, double B)>? Pairs(List<(long Seed, double Value)> a, List<(long Seed, double Value)> b)
    {
        if (a.Count < 2 || a.Count != b.Count || a.DistinctBy(x => x.Seed).Count() != a.Count || b.DistinctBy(x => x.Seed).Count() != b.Count)
        {
            return null;
        }
        var bySeed = b.ToDictionary(x => x.Seed, x => x.Value);
        return a.All(x => bySeed.ContainsKey(x.Seed)) ? [.. a.Select(x => (x.Value, bySeed[x.Seed]))] : null;
    }

    // What an expression names that no trial has: the usual reason a group is empty.
    private static string Unknown(IReadOnlyList<TrialRecord> trials, WhereExpression expression)
    {
        var parameters = trials.SelectMany(t => ParamSet.FromJson(t.ParamsJson).Select(p => p.Key)).ToHashSet(StringComparer.Ordinal);
        var results = trials.SelectMany(t => ResultValues.Parse(t.ResultsJson).Select(r => r.Key)).ToHashSet(StringComparer.Ordinal);
        string[] fields = ["id", "study", "status", "replicate", "seed", "attempts", "duration", "host", "exit_code"];
        var unknown = expression.Names.Where(n => !parameters.Contains(n) && !results.Contains(n) && !fields.Contains(n)
            && !(n.StartsWith("params.", StringComparison.Ordinal) && parameters.Contains(n["params.".Length..]))
            && !(n.StartsWith("results.", StringComparison.Ordinal) && results.Contains(n["results.".Length..]))).Distinct(StringComparer.Ordinal).ToList();
        return unknown.Count == 0
            ? string.Empty
            : $"; no trial has {string.Join(", ", unknown.Select(u => $"'{u}'"))} (parameters: {string.Join(", ", parameters.Order(StringComparer.Ordinal))}; results: {string.Join(", ", results.Order(StringComparer.Ordinal))}; fields: {string.Join(", ", fields)})";
    }
}
