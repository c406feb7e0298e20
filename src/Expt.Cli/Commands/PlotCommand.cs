using System.CommandLine;
using System.Diagnostics;
using Expt.Analysis;
using Expt.Charts;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt plot STUDY --metric M [--by K] -o FILE.svg</c>: step-metric curves (mean ± std band per group), or a bar
/// chart of a final result per group (mean, 95% CI, every value), or an array result by index (element-wise mean ±
/// std per group). Titles say which way is better, from the study's objectives. PNG when rsvg-convert is installed.
/// </summary>
internal sealed class PlotCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _study = new("study") { Description = "The study" };
    private readonly Option<string> _metric = new("--metric", "-m") { Description = "A step metric (curves) or a result (bars)", Required = true };
    private readonly Option<string?> _by = new("--by") { Description = "Group by these parameters (default: the whole parameter point)" };
    private readonly Option<string> _output = new("--output", "-o") { Description = "The file to write: .svg, or .png (needs rsvg-convert); an existing file of that kind is replaced, never a store", Required = true };
    private readonly Option<bool> _force = new("--force") { Description = "Replace an existing file whatever its extension (never a store)" };
    private readonly Option<string> _kind = new("--kind") { Description = "auto, curves, bars or array (an array result: element-wise mean ± std over the index)", DefaultValueFactory = _ => "auto" };
    private readonly Option<bool> _logY = new("--log-y") { Description = "Logarithmic y axis (curves)" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt plot lr-sweep --metric loss --by lr -o loss.svg",
        "expt plot lr-sweep --metric accuracy -o accuracy.png",
        "expt plot solver --metric solution --by method -o solution.svg",
    ];

    public override Command Build()
    {
        var command = new Command("plot", "Plot step-metric curves with mean ± std bands, or a final result per group with 95% CIs, as SVG or PNG.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _metric, _by, _output, _kind, _logY, _force })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var given = parseResult.GetValue(_output);
        var png = given?.EndsWith(".png", StringComparison.OrdinalIgnoreCase) == true;
        if (!png && given?.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new UserException($"--output: '{Spec.InputLimits.Quote(given ?? string.Empty)}' should end in .svg or .png");
        }
        var output = OutputFile.Check(given, "-o", Env.WorkingDirectory, [png ? ".png" : ".svg"], parseResult.GetValue(_force));
        var kind = parseResult.GetValue(_kind)!;
        if (kind is not ("auto" or "curves" or "bars" or "array"))
        {
            throw new UserException($"--kind: expected auto, curves, bars or array, got '{kind}'");
        }
        var metric = parseResult.GetValue(_metric)!;
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var study = await Lookup.StudyAsync(store, parseResult.GetValue(_study)!, cancellationToken).ConfigureAwait(false);
        var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Id, Statuses = [TrialStatus.Completed] }, cancellationToken).ConfigureAwait(false);
        var by = parseResult.GetValue(_by)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var keys = by is null ? null : Summaries.Keys(trials, string.Join(',', by));
        var isResult = Summarizer.Metrics(trials).Contains(metric);
        var isArray = !isResult && ArraySummarizer.ArrayMetrics(trials).Contains(metric);
        var goal = Objectives.FromSpecJson(study.SpecJson).Resolve(metric);
        var direction = goal == Goal.Minimize ? "lower is better" : "higher is better";
        string svg;
        if (kind == "bars" || (kind == "auto" && isResult))
        {
            if (!isResult)
            {
                throw new UserException($"--metric: no completed trial has a numeric result '{metric}'; results: {string.Join(", ", Summarizer.Metrics(trials))}");
            }
            var summaries = Summarizer.Summarize(trials, metric, keys, minimize: goal == Goal.Minimize);
            var groups = Summarizer.Group(trials, keys);
            var bars = summaries.Select((s, i) => (s, (IReadOnlyList<double>)groups[i].Trials.OrderBy(t => t.Replicate)
                .Select(t => ResultValues.Number(t.ResultsJson, metric)).Where(v => v is not null).Select(v => v!.Value).ToList())).ToList();
            svg = SvgChart.Bars(bars, $"{study.Name}: {metric} ({direction})");
        }
        else if (kind == "array" || (kind == "auto" && isArray))
        {
            if (!isArray)
            {
                var arrays = ArraySummarizer.ArrayMetrics(trials);
                throw new UserException($"--metric: no completed trial has an array result '{metric}'; array results: {(arrays.Count == 0 ? "none" : string.Join(", ", arrays))}");
            }
            var results = await StudyResults.LoadAsync(store, study.Name, cancellationToken).ConfigureAwait(false);
            var curves = results.Arrays(metric, keys).Where(c => c.Steps.Length > 0).ToList();
            svg = SvgChart.Curves(curves, $"{study.Name}: {metric} by index (mean ± std over replications; {direction})", parseResult.GetValue(_logY));
        }
        else
        {
            var results = await StudyResults.LoadAsync(store, study.Name, cancellationToken).ConfigureAwait(false);
            var curves = (await results.CurvesAsync(metric, keys, cancellationToken).ConfigureAwait(false)).Where(c => c.Steps.Length > 0).ToList();
            if (curves.Count == 0)
            {
                throw new UserException($"--metric: no completed trial of {study.Name} logged a step metric '{metric}'");
            }
            svg = SvgChart.Curves(curves, $"{study.Name}: {metric} (mean ± std; {direction})", parseResult.GetValue(_logY));
        }
        if (png)
        {
            var temporary = Path.Combine(Path.GetTempPath(), $"expt-plot-{Guid.NewGuid():N}.svg");
            try
            {
                await File.WriteAllTextAsync(temporary, svg, cancellationToken).ConfigureAwait(false);
                await output.WriteAsync((stream, token) => ConvertAsync(temporary, stream, token), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        else
        {
            await output.WriteAsync(svg, cancellationToken).ConfigureAwait(false);
        }
        await Env.Error.WriteLineAsync(output.Done).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    // rsvg-convert writes the PNG to its standard output, which goes where the output file says (a temporary file
    // renamed once complete): a failed conversion leaves nothing half-written.
    private static async Task ConvertAsync(string svg, Stream png, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("rsvg-convert") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(svg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new UserException("PNG output needs rsvg-convert (Debian: apt-get install librsvg2-bin); or write .svg");
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.BaseStream.CopyToAsync(png, cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new UserException($"rsvg-convert failed: {(await error.ConfigureAwait(false)).Trim()}", ExitCodes.TrialsFailed);
            }
        }
    }
}
