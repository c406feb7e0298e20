using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Expt.Cli.Output;
using Expt.Spec;
using Expt.Storage;
using Spectre.Console;

namespace Expt.Cli.Commands;

/// <summary><c>expt export STUDY</c>: trials, summaries or step metrics as CSV, JSON, JSON lines, Markdown or LaTeX.</summary>
internal sealed class ExportCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string> _format = new("--format")
    {
        Description = "csv, json, jsonl, markdown, latex or parquet (typed columns for pyarrow, polars and DuckDB; with -o)",
        DefaultValueFactory = _ => "csv",
    };
    private readonly Option<string> _what = new("--what")
    {
        Description = "trials, summary, metrics, grid (a labelled N-dimensional array for xarray/numpy, JSON) or merged (a folder per group: replications merged, arrays, distributions, images)",
        DefaultValueFactory = _ => "trials",
    };
    private readonly Option<string[]> _metric = new("--metric", "-m") { Description = "For summaries: the result(s) to summarise (default: all)" };
    private readonly Option<string?> _by = new("--by") { Description = "For summaries: group by these parameters" };
    private readonly Option<bool> _maximize = new("--maximize") { Description = "For summaries: higher is better (default: the study's objectives, else lower)" };
    private readonly Option<bool> _minimize = new("--minimize") { Description = "For summaries: lower is better (default: the study's objectives, else lower)" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Write to this file instead of standard output (with --what merged: a directory); an existing file of the format's extension is replaced, never a store" };
    private readonly Option<bool> _force = new("--force") { Description = "Replace an existing file whatever its extension (never a store), or write into a folder that is not empty" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt export lr-sweep > trials.csv",
        "expt export lr-sweep --what summary --metric loss --format latex -o table.tex",
        "expt export lr-sweep --what metrics --format jsonl -o metrics.jsonl",
        "expt export lr-sweep --format parquet -o trials.parquet",
        "expt export lr-sweep --what grid --format json -o grid.json",
        "expt export solver --what merged --by method -o merged/",
    ];

    public override Command Build()
    {
        var command = new Command("export", "Export a study's trials, summary or step metrics as a tidy table for pandas, R, a spreadsheet or a paper.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _format, _what, _metric, _by, _maximize, _minimize, _output, _force })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var format = parseResult.GetValue(_format)!.ToLowerInvariant();
        var what = parseResult.GetValue(_what)!.ToLowerInvariant();
        if (format is not ("csv" or "json" or "jsonl" or "markdown" or "latex" or "parquet"))
        {
            throw new UserException($"--format: '{format}' is not an export format; expected csv, json, jsonl, markdown, latex or parquet");
        }
        if (format == "parquet" && what != "trials")
        {
            throw new UserException("--format parquet exports trials (one typed column per parameter and result); leave out --what, or choose csv or json for it");
        }
        if (format == "parquet" && parseResult.GetValue(_output) is null)
        {
            throw new UserException("--format parquet writes a binary file: add -o trials.parquet");
        }
        if (what is not ("trials" or "summary" or "metrics" or "grid" or "merged"))
        {
            throw new UserException($"--what: '{what}' is not exportable; expected trials, summary, metrics, grid or merged");
        }
        if (what == "grid" && format != "json")
        {
            throw new UserException("--what grid is a labelled N-dimensional array in JSON: add --format json");
        }
        if (what == "merged" && parseResult.GetValue(_output) is null)
        {
            throw new UserException("--what merged writes a folder per group: add -o DIR");
        }
        if (format == "latex" && what != "summary")
        {
            throw new UserException("--format latex exports summaries: add --what summary");
        }
        // Where it goes is checked before the store is opened: a bad path costs nothing, and never touches a store.
        var force = parseResult.GetValue(_force);
        var directory = what == "merged" ? OutputFile.CheckDirectory(parseResult.GetValue(_output), "-o", Env.WorkingDirectory, MergedExport.IndexFile, force) : null;
        var output = what != "merged" && parseResult.GetValue(_output) is { } path ? OutputFile.Check(path, "-o", Env.WorkingDirectory, Extensions(format), force) : null;
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        if (format == "parquet")
        {
            await output!.WriteAsync((stream, token) => ParquetExport.WriteAsync(trials, stream, token), cancellationToken).ConfigureAwait(false);
            await Env.Error.WriteLineAsync(output.Done).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        if (directory is not null)
        {
            var keys = Summaries.Keys(trials, parseResult.GetValue(_by));
            await using var results = await Analysis.StudyResults.LoadAsync(store, study.Name, cancellationToken).ConfigureAwait(false);
            var (groups, images) = await MergedExport.WriteAsync(directory, results, keys, cancellationToken).ConfigureAwait(false);
            await Env.Error.WriteLineAsync($"wrote {Text.Counted.Of(groups, "group")} ({Text.Counted.Of(images, "image")}) to {directory}; groups.csv lists them").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        var text = what switch
        {
            "grid" => Json(w => GridExport.Write(w, study, trials), indented: false),
            "summary" => Summary(trials, study, format, parseResult),
            "metrics" => await MetricsAsync(store, trials, format, cancellationToken).ConfigureAwait(false),
            _ => Trials(trials, format),
        };
        if (output is not null)
        {
            await output.WriteAsync(text, cancellationToken).ConfigureAwait(false);
            await Env.Error.WriteLineAsync(output.Done).ConfigureAwait(false);
        }
        else
        {
            Env.Out.Profile.Out.Writer.Write(text);
            Env.Out.Profile.Out.Writer.Flush();
        }
        return ExitCodes.Success;
    }

    /// <summary>The extensions a file of <paramref name="format"/> has: an existing one of them may be replaced.</summary>
    private static string[] Extensions(string format) => format switch
    {
        "json" => [".json"],
        "jsonl" => [".jsonl", ".ndjson"],
        "markdown" => [".md", ".markdown"],
        "latex" => [".tex"],
        "parquet" => [".parquet"],
        _ => [".csv"],
    };

    private static string Render(TableData table, string format) => format == "markdown" ? TableRenderer.ToMarkdown(table) : TableRenderer.ToCsv(table);

    private static string Trials(IReadOnlyList<TrialRecord> trials, string format) => format switch
    {
        "json" => Json(w =>
        {
            w.WriteStartArray();
            foreach (var t in trials)
            {
                TrialJson.Write(w, t);
            }
            w.WriteEndArray();
        }, indented: true),
        "jsonl" => string.Concat(trials.Select(t => Json(w => TrialJson.Write(w, t), indented: false))),
        _ => Render(TrialTable.Wide(trials), format),
    };

    private string Summary(IReadOnlyList<TrialRecord> trials, StudyRecord study, string format, ParseResult parseResult)
    {
        var studyName = study.Name;
        var goal = Summaries.Chosen(parseResult.GetValue(_minimize), parseResult.GetValue(_maximize));
        var groups = Summaries.SummarizeAll(trials, parseResult.GetValue(_metric), parseResult.GetValue(_by), Analysis.Objectives.FromSpecJson(study.SpecJson), goal);
        return format switch
        {
            "latex" => SummaryOutput.Latex(groups, studyName),
            "json" => Json(w => SummaryOutput.Json(w, groups), indented: true),
            "jsonl" => string.Concat(groups.Select(g => Json(w => SummaryOutput.Json(w, [g]), indented: false)[1..^2] + "\n")),
            _ => Render(TidySummary.Build(groups), format),
        };
    }

    private static async Task<string> MetricsAsync(IExptStore store, IReadOnlyList<TrialRecord> trials, string format, CancellationToken cancellationToken)
    {
        var names = trials.SelectMany(t => ParamSet.FromJson(t.ParamsJson).Names).Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<IReadOnlyList<string>>();
        var sb = new StringBuilder();
        foreach (var trial in trials)
        {
            var parameters = ParamSet.FromJson(trial.ParamsJson);
            foreach (var point in await store.GetMetricsAsync(trial.Id, cancellationToken).ConfigureAwait(false))
            {
                if (format is "json" or "jsonl")
                {
                    sb.Append(Json(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("trial", trial.Id);
                        TrialJson.WriteStored(w, "params", trial.ParamsJson, "{}");
                        w.WriteNumber("replicate", trial.Replicate);
                        w.WriteString("metric", point.Name);
                        w.WriteNumber("step", point.Step);
                        if (double.IsFinite(point.Value))
                        {
                            w.WriteNumber("value", point.Value);
                        }
                        else
                        {
                            w.WriteString("value", Execution.ResultsJson.NonFinite(point.Value));
                        }
                        TrialJson.WriteTime(w, "time", point.Time);
                        w.WriteEndObject();
                    }, indented: false).TrimEnd('\n')).Append(format == "json" ? ",\n" : "\n");
                    continue;
                }
                rows.Add([trial.Id, .. names.Select(n => parameters.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty),
                    trial.Replicate.ToString(CultureInfo.InvariantCulture), point.Name, point.Step.ToString(CultureInfo.InvariantCulture),
                    double.IsFinite(point.Value) ? point.Value.ToString("R", CultureInfo.InvariantCulture) : TrialJson.Cell(point.Value),
                    point.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)]);
            }
        }
        if (format == "json")
        {
            return "[\n" + sb.ToString().TrimEnd(',', '\n') + (sb.Length > 0 ? "\n" : string.Empty) + "]\n";
        }
        return format == "jsonl" ? sb.ToString() : Render(new TableData(["trial", .. names, "replicate", "metric", "step", "value", "time"], rows), format);
    }

    private static string Json(Action<Utf8JsonWriter> body, bool indented)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
