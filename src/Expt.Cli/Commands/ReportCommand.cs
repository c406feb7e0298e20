using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using Expt.Analysis;
using Expt.Charts;
using Expt.Cli.Output;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt report STUDY -o report.html</c>: one self-contained HTML file (inline CSS and SVG, no script, no network)
/// with the study's counts, a summary table and a bar chart per numeric result (ranked by the study's objectives),
/// array results merged element-wise and pooled, step-metric curves, the image artifacts of each group, and the failures.
/// </summary>
internal sealed class ReportCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string> _output = new("--output", "-o") { Description = "The HTML file to write (an existing .html file is replaced, never a store)", Required = true };
    private readonly Option<bool> _force = new("--force") { Description = "Replace an existing file whatever its extension (never a store)" };
    private readonly Option<string?> _by = new("--by") { Description = "Group by these parameters (default: all)" };

    public override IReadOnlyList<string> Examples { get; } = ["expt report quickstart -o quickstart.html"];

    public override Command Build()
    {
        var command = new Command("report", "Write one self-contained HTML report of a study: summaries, charts and failures.");
        command.Arguments.Add(_study);
        command.Options.Add(_output);
        command.Options.Add(_by);
        command.Options.Add(_force);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var output = OutputFile.Check(parseResult.GetValue(_output), "-o", Env.WorkingDirectory, [".html", ".htm"], parseResult.GetValue(_force));
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id }, cancellationToken).ConfigureAwait(false);
        var by = parseResult.GetValue(_by)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var completed = trials.Where(t => t.Status == TrialStatus.Completed).ToList();

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(study.Name)).Append("</title>\n<style>")
            .Append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}h1{margin-bottom:0}")
            .Append(".meta{color:#666}table{border-collapse:collapse;margin:1em 0}th,td{padding:3px 9px;border-bottom:1px solid #ddd;text-align:left}")
            .Append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}svg{max-width:100%;height:auto}")
            .Append("pre{background:#fff4f4;padding:6px;white-space:pre-wrap;margin:0}</style></head><body>\n");
        html.Append("<h1>").Append(E(study.Name)).Append("</h1>\n<p class=\"meta\">");
        if (study.Description is { Length: > 0 } description)
        {
            html.Append(E(description)).Append("<br>");
        }
        var counts = Enum.GetValues<TrialStatus>().Select(s => (s, trials.Count(t => t.Status == s))).Where(c => c.Item2 > 0);
        html.Append(CultureInfo.InvariantCulture, $"{Text.Counted.Of(trials.Count, "trial")}: ").Append(E(string.Join(", ", counts.Select(c => $"{c.Item2} {c.s.ToName()}"))))
            .Append(CultureInfo.InvariantCulture, $"; created {study.Created:yyyy-MM-dd HH:mm} UTC; seed {study.Seed}")
            .Append(study.Tags.Count > 0 ? "; tags " + E(string.Join(", ", study.Tags)) : string.Empty).Append("</p>\n");

        var objectives = Objectives.FromSpecJson(study.SpecJson);
        var keys = by is null ? null : Summaries.Keys(trials, string.Join(',', by));
        if (Adaptive.AdaptiveReport.For(study, trials, await store.GetPointDecisionsAsync(study.Id, cancellationToken).ConfigureAwait(false)) is { } adaptive)
        {
            // Survivors first, then the others in the order they were decided: what the race (or the stopping) concluded.
            html.Append("<h2>").Append(adaptive.Plan.Race is null ? "Sequential stopping" : "Race").Append("</h2>\n<p>").Append(E(adaptive.Headline)).Append("</p>\n");
            var rows = adaptive.Points.OrderBy(p => p.Decision is null or { State: Adaptive.PointState.Survivor } ? 0 : 1).ThenByDescending(p => p.Decision?.Round ?? int.MaxValue)
                .Select(p => (IReadOnlyList<string>)[p.Params.ToString(), adaptive.StatusOf(p), p.Completed.ToString(CultureInfo.InvariantCulture), p.Trials.ToString(CultureInfo.InvariantCulture),
                    double.IsNaN(p.Stats.Mean) ? "-" : p.Stats.Mean.ToString("G6", CultureInfo.InvariantCulture), p.Decision?.Reason ?? string.Empty]).ToList();
            Table(html, new TableData(["point", "state", "completed", "trials", "mean " + (adaptive.Points.FirstOrDefault()?.Metric ?? string.Empty), "why"], rows) { RightAligned = new HashSet<int> { 2, 3, 4 } });
        }
        // Declared objectives first, ranked as declared; the rest lower-is-better, as expt summary ranks them.
        var metrics = Summarizer.Metrics(completed).OrderBy(m => objectives.Items.ToList().FindIndex(o => o.Metric == m) is var i && i >= 0 ? i : int.MaxValue).ToList();
        foreach (var metric in metrics)
        {
            var goal = objectives.Resolve(metric);
            var summaries = Summarizer.Summarize(trials, metric, keys, minimize: goal == Goal.Minimize);
            var direction = goal == Goal.Minimize ? "lower is better" : "higher is better";
            html.Append("<h2>").Append(E(metric)).Append(" <small class=\"meta\">(").Append(direction)
                .Append(objectives.GoalOf(metric) is null ? "; assumed: no objective declared" : "; the study's objective").Append(")</small></h2>\n");
            Table(html, SummaryOutput.Table(summaries));
            // Groups come in the same order as their summaries (both from the same trials).
            var groups = Summarizer.Group(trials, keys);
            var bars = summaries.Select((s, i) => (s, (IReadOnlyList<double>)groups[i].Trials.Where(t => t.Status == TrialStatus.Completed).OrderBy(t => t.Replicate)
                .Select(t => ResultValues.Number(t.ResultsJson, metric)).Where(v => v is not null).Select(v => v!.Value).ToList())).ToList();
            html.Append(SvgChart.Bars(bars, $"{study.Name}: {metric} ({direction})")).Append('\n');
        }

        await using var results = await StudyResults.LoadAsync(store, study.Name, cancellationToken).ConfigureAwait(false);
        foreach (var array in ArraySummarizer.ArrayMetrics(completed))
        {
            // ORruns' merged arrays: element-wise over the replications, and every element pooled as one distribution.
            html.Append("<h2>").Append(E(array)).Append(" <small class=\"meta\">(array result)</small></h2>\n");
            var curves = results.Arrays(array, keys).Where(c => c.Steps.Length > 0).ToList();
            if (curves.Count > 0)
            {
                html.Append(SvgChart.Curves(curves, $"{array}: element-wise mean ± std over replications")).Append('\n');
            }
            Table(html, ArraySummaryOutput.ElementWiseTable(ArraySummarizer.ElementWise(completed, array, keys)));
            html.Append("<p class=\"meta\">Pooled: every element of every replication as one distribution.</p>\n");
            Table(html, ArraySummaryOutput.PooledTable(ArraySummarizer.Pooled(completed, array, keys)));
        }
        ImageGrid(html, await results.ArtifactsAsync("*", keys, cancellationToken).ConfigureAwait(false));

        if (completed.Count > 0)
        {
            var names = (await store.GetMetricsAsync(completed[0].Id, cancellationToken).ConfigureAwait(false)).Select(m => m.Name).Distinct(StringComparer.Ordinal).ToList();
            if (names.Count > 0)
            {
                html.Append("<h2>Step metrics</h2>\n");
                foreach (var name in names)
                {
                    var curves = (await results.CurvesAsync(name, by, cancellationToken).ConfigureAwait(false)).Where(c => c.Steps.Length > 0).ToList();
                    if (curves.Count > 0)
                    {
                        html.Append(SvgChart.Curves(curves, $"{name} (mean ± std)")).Append('\n');
                    }
                }
            }
        }

        var failures = trials.Where(t => t.Status is TrialStatus.Failed or TrialStatus.Timeout).ToList();
        if (failures.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Failures ({failures.Count})</h2>\n<table><tr><th>trial</th><th>params</th><th>status</th><th>error</th></tr>\n");
            foreach (var t in failures.Take(200))
            {
                html.Append("<tr><td>").Append(E(t.Id)).Append("</td><td>").Append(E(t.ParamsJson)).Append("</td><td>").Append(E(t.Status.ToName()))
                    .Append("</td><td><pre>").Append(E(t.Error ?? string.Empty)).Append("</pre></td></tr>\n");
            }
            html.Append("</table>\n");
        }
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">Written by expt report on {Env.Time.GetUtcNow():yyyy-MM-dd HH:mm} UTC.</p>\n</body></html>\n");

        await output.WriteAsync(html.ToString(), cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync(output.Done).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>The most images shown per group, the largest image embedded, and the most bytes embedded in all.</summary>
    internal const int ImagesPerGroup = 24;

    internal const long MaxImageBytes = 2 << 20, MaxImagesBytes = 32 << 20;

    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>
    /// The image artifacts of each group side by side (ORruns' merged images), embedded so the report is one file.
    /// Bounded: a trial that writes thousands of images or a huge one cannot make the report huge. An SVG shown
    /// through an img element runs no script.
    /// </summary>
    private static void ImageGrid(StringBuilder html, IReadOnlyList<(Spec.ParamSet Key, IReadOnlyList<string> Files)> groups)
    {
        long embedded = 0;
        var started = false;
        foreach (var (key, files) in groups)
        {
            var images = files.Where(f => ImageTypes.ContainsKey(Path.GetExtension(f))).ToList();
            if (images.Count == 0)
            {
                continue;
            }
            if (!started)
            {
                html.Append("<h2>Images</h2>\n<style>.grid{display:flex;flex-wrap:wrap;gap:8px}.grid figure{margin:0;width:220px}.grid img{width:220px;height:auto;border:1px solid #ddd}.grid figcaption{font-size:11px;color:#666;word-break:break-all}</style>\n");
                started = true;
            }
            html.Append("<h3>").Append(E(key.Count == 0 ? "all trials" : key.ToString())).Append(CultureInfo.InvariantCulture, $" <small class=\"meta\">({Text.Counted.Of(images.Count, "image")})</small></h3>\n<div class=\"grid\">");
            foreach (var file in images.Take(ImagesPerGroup))
            {
                var info = new FileInfo(file);
                var caption = E($"{Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file)}");
                if (!info.Exists || info.LinkTarget is not null || info.Length > MaxImageBytes || embedded + info.Length > MaxImagesBytes)
                {
                    html.Append("<figure><figcaption>").Append(caption).Append(" (not embedded: too large)</figcaption></figure>");
                    continue;
                }
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    html.Append("<figure><figcaption>").Append(caption).Append(" (unreadable)</figcaption></figure>");
                    continue;
                }
                embedded += bytes.Length;
                html.Append("<figure><img alt=\"").Append(caption).Append("\" src=\"data:").Append(ImageTypes[Path.GetExtension(file)]).Append(";base64,")
                    .Append(Convert.ToBase64String(bytes)).Append("\"><figcaption>").Append(caption).Append("</figcaption></figure>");
            }
            if (images.Count > ImagesPerGroup)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">… and {images.Count - ImagesPerGroup} more</p>");
            }
            html.Append("</div>\n");
        }
    }

    private static void Table(StringBuilder html, TableData table)
    {
        html.Append("<table><tr>");
        foreach (var header in table.Headers)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }
        html.Append("</tr>\n");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                html.Append(table.RightAligned.Contains(i) ? "<td class=\"n\">" : "<td>").Append(E(row[i])).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
