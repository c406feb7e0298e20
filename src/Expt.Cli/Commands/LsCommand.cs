using System.CommandLine;
using Expt.Analysis;
using Expt.Cli.Output;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary><c>expt ls</c>: list trials, filtered by study, status, tag and a where-expression.</summary>
internal sealed class LsCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Option<string?> _study = new("--study") { Description = "Only this study" };
    private readonly Option<string?> _status = new("--status") { Description = "Only these statuses, comma-separated (e.g. failed,timeout)" };
    private readonly Option<string?> _tag = new("--tag") { Description = "Only trials with this tag (their own, or their study's)" };
    private readonly Option<string?> _sort = new("--sort") { Description = "Order by a result (ascending; '-loss' descending; also r.loss), a parameter (p.lr), 'objective' / '-objective' (the study's first objective), 'best' (best first by the declared goal), or a field: id, name, status, replicate, attempts, duration, created, started, finished, host" };
    private readonly Option<string?> _where = new("--where") { Description = "Only trials for which the expression holds, over params, results and fields: 'lr > 0.01 and optimizer == \"adam\"'" };
    private readonly Option<int?> _limit = GlobalOptions.Integer("--limit", "-n", "At most this many trials", "a number of trials");
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt ls --study lr-sweep --status failed,timeout",
        "expt ls --where 'lr > 0.01 and optimizer == \"adam\"' --format json",
        "expt ls --study lr-sweep --format csv > trials.csv",
        "expt ls --study lr-sweep --sort best --limit 5",
        "expt ls --tag best --sort -accuracy",
    ];

    public override Command Build()
    {
        var command = new Command("ls", "List trials.");
        foreach (var option in new Option[] { _study, _status, _tag, _where, _sort, _limit, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        // The dashboard's engine: the same statuses, where-expressions and sort keys, parsed before the store is opened.
        TrialQuery query;
        try
        {
            query = TrialQuery.Parse(parseResult.GetValue(_status), parseResult.GetValue(_where), search: null, parseResult.GetValue(_sort));
        }
        catch (FormatException ex)
        {
            throw new UserException("--" + ex.Message);
        }
        var limit = parseResult.GetValue(_limit);
        if (limit is < 0)
        {
            throw new UserException($"--limit: expected a non-negative number, got {limit}");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        string? studyId = null;
        if (parseResult.GetValue(_study) is { } studyName)
        {
            studyId = (await Lookup.StudyAsync(store, studyName, cancellationToken).ConfigureAwait(false)).Id;
        }
        // The terminal table shows the start of each trial's results only: it never loads a whole large one.
        // Filtering and sorting read whole results, and take the limit after.
        var whole = query.Where is not null || query.Sort is not null;
        var preview = parseResult.GetValue(_format) == OutputFormat.Table && !whole ? 4096 : (int?)null;
        var filter = new TrialFilter { StudyId = studyId, Statuses = query.Statuses, Tag = parseResult.GetValue(_tag), Limit = whole ? null : limit, PreviewChars = preview };
        var trials = await TrialOrder.ApplyAsync(store, await store.ListTrialsAsync(filter, cancellationToken).ConfigureAwait(false), query, cancellationToken).ConfigureAwait(false);
        if (whole && limit is { } n)
        {
            trials = [.. trials.Take(n)];
        }
        // One study's declared objectives lead its result columns.
        IReadOnlyList<string> objectives = [];
        if (trials.Select(t => t.StudyName).Distinct(StringComparer.Ordinal).ToList() is [var only] && await store.GetStudyAsync(only, cancellationToken).ConfigureAwait(false) is { } study)
        {
            objectives = [.. Objectives.FromSpecJson(study.SpecJson).Items.Select(o => o.Metric)];
        }
        Print(trials, objectives, parseResult.GetValue(_format));
        return ExitCodes.Success;
    }

    private void Print(IReadOnlyList<TrialRecord> trials, IReadOnlyList<string> objectives, OutputFormat format)
    {
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartArray();
                foreach (var trial in trials)
                {
                    TrialJson.Write(w, trial);
                }
                w.WriteEndArray();
            });
            return;
        }
        var table = format == OutputFormat.Table ? TrialListing.Build(trials, objectives) : TrialTable.Wide(trials);
        TableRenderer.Write(Env, table, format);
        if (format == OutputFormat.Table && trials.Count == 0)
        {
            Env.Error.WriteLine("no trials match");
        }
    }
}
