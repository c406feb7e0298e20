using System.CommandLine;
using Expt.Cli.Output;
using Expt.Expressions;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary><c>expt compare ID... | --study S [--where EXPR]</c>: trials side by side, only the columns that differ.</summary>
internal sealed class CompareCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string[]> _ids = new("ids") { Description = "Trial ids", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _study = new("--study") { Description = "All trials of a study" };
    private readonly Option<string?> _where = new("--where") { Description = "Only trials for which the expression holds" };
    private readonly Option<bool> _all = new("--all") { Description = "Show every column, not only those that differ" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } = ["expt compare 3fa9 7c01 9e2b", "expt compare --study lr-sweep --where 'lr == 0.1'"];

    public override Command Build()
    {
        var command = new Command("compare", "Show trials side by side: one row each, only the parameters, results and fields that differ.");
        command.Arguments.Add(_ids);
        foreach (var option in new Option[] { _study, _where, _all, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var ids = parseResult.GetValue(_ids) ?? [];
        var studyName = parseResult.GetValue(_study);
        if ((ids.Length == 0) == (studyName is null))
        {
            throw new UserException("expected trial ids or --study S (not both)");
        }
        var where = Lookup.Where("--where", parseResult.GetValue(_where));
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TrialRecord> trials = studyName is null
            ? await Lookup.TrialsAsync(store, ids, cancellationToken).ConfigureAwait(false)
            : await store.ListTrialsAsync(new TrialFilter { StudyId = (await Lookup.StudyAsync(store, studyName, cancellationToken).ConfigureAwait(false)).Id }, cancellationToken).ConfigureAwait(false);
        if (where is not null)
        {
            trials = trials.Where(t => where.Evaluate(ParamSet.FromJson(t.ParamsJson).TryGetValue)).ToList();
        }
        var fields = trials.Select(t => DiffCommand.Fields(t)).ToList();
        var columns = fields.SelectMany(f => f.Keys).Distinct(StringComparer.Ordinal)
            .Where(c => !c.StartsWith("provenance.", StringComparison.Ordinal))
            .Where(c => parseResult.GetValue(_all) || fields.Select(f => f.GetValueOrDefault(c, string.Empty)).Distinct().Count() > 1)
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
