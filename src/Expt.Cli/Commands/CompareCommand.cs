using System.CommandLine;
using Expt.Cli.Output;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary><c>expt compare ID... | --study S [--where EXPR]</c>: trials side by side, only the columns that differ.</summary>
internal sealed class CompareCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string[]> _ids = new("ids") { Description = "Trial ids", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _study = new("--study") { Description = "All trials of a study" };
    private readonly Option<string?> _tag = new("--tag") { Description = "Only trials with this tag (their own or their study's)" };
    private readonly Option<string?> _where = new("--where") { Description = "Only trials for which the expression holds" };
    private readonly Option<bool> _all = new("--all") { Description = "Show every column, not only those that differ" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } = ["expt compare 3fa9 7c01 9e2b", "expt compare --study lr-sweep --where 'lr == 0.1'", "expt compare --tag best"];

    public override Command Build()
    {
        var command = new Command("compare", "Show trials side by side: one row each, only the parameters, results and fields that differ.");
        command.Arguments.Add(_ids);
        foreach (var option in new Option[] { _study, _tag, _where, _all, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var ids = parseResult.GetValue(_ids) ?? [];
        var studyName = parseResult.GetValue(_study);
        var tag = parseResult.GetValue(_tag);
        if (ids.Length > 0 && (studyName is not null || tag is not null))
        {
            throw new UserException("expected trial ids, or --study S and/or --tag T (not both)");
        }
        if (ids.Length == 0 && studyName is null && tag is null)
        {
            throw new UserException("expected trial ids, --study S or --tag T");
        }
        var where = Lookup.Where("--where", parseResult.GetValue(_where));
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TrialRecord> trials = ids.Length > 0
            ? await Lookup.TrialsAsync(store, ids, cancellationToken).ConfigureAwait(false)
            : await store.ListTrialsAsync(new TrialFilter
            {
                StudyId = studyName is null ? null : (await Lookup.StudyAsync(store, studyName, cancellationToken).ConfigureAwait(false)).Id,
                Tag = tag,
            }, cancellationToken).ConfigureAwait(false);
        if (trials.Count == 0)
        {
            throw new UserException(tag is null ? "no trials to compare" : $"no trial has the tag '{tag}' (expt tag ID +{tag} adds it)");
        }
        if (where is not null)
        {
            trials = trials.Where(t => where.Evaluate(ParamSet.FromJson(t.ParamsJson).TryGetValue)).ToList();
        }
        var fields = trials.Select(t => DiffCommand.Fields(t)).ToList();
        var columns = fields.SelectMany(f => f.Keys).Distinct(StringComparer.Ordinal)
            .Where(c => !c.StartsWith("provenance.", StringComparison.Ordinal))
            .Where(c => parseResult.GetValue(_all) || trials.Count == 1 || fields.Select(f => f.GetValueOrDefault(c, string.Empty)).Distinct().Count() > 1)
            .ToList();
        if (parseResult.GetValue(_format) == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartArray();
                for (var i = 0; i < trials.Count; i++)
                {
                    w.WriteStartObject();
                    w.WriteString("id", trials[i].Id);
                    foreach (var column in columns)
                    {
                        w.WriteString(column, fields[i].GetValueOrDefault(column));
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return ExitCodes.Success;
        }
        var rows = trials.Select((t, i) => (IReadOnlyList<string>)[t.Id, .. columns.Select(c => fields[i].GetValueOrDefault(c, string.Empty))]).ToList();
        TableRenderer.Write(Env, new TableData(["id", .. columns.Select(c => c.Replace("param ", string.Empty, StringComparison.Ordinal))], rows), parseResult.GetValue(_format));
        return ExitCodes.Success;
    }
}
