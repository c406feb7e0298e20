using System.Globalization;
using System.Text;
using Expt.Analysis;
using Expt.Spec;

namespace Expt.Cli.Output;

/// <summary>
/// ORruns' merged results, one folder per group: the scalars of every replication, each array result element-wise
/// (mean, std, CI, and every replication's values), each array pooled as one distribution with its quantiles, and the
/// image artifacts. Every table is a CSV with a header row, which pandas and <c>numpy.genfromtxt(names=True)</c> read.
/// </summary>
internal static class MergedExport
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".pdf" };

    /// <summary>The index of the groups, at the top of the folder: how a folder written before by this export is known.</summary>
    public const string IndexFile = "groups.csv";

    /// <summary>The largest image copied; larger ones are listed in the group's images.csv but not copied.</summary>
    public const long MaxImageBytes = 256L << 20;

    public static async Task<(int Groups, int Images)> WriteAsync(string directory, StudyResults results, IReadOnlyList<string>? by, CancellationToken cancellationToken)
    {
        var completed = results.Completed.Select(t => t.Record).ToList();
        var groups = Summarizer.Group(completed, by);
        var scalars = Summarizer.Metrics(completed);
        var arrays = ArraySummarizer.ArrayMetrics(completed);
        var images = await results.ArtifactsAsync("*", by, cancellationToken).ConfigureAwait(false);
        var names = completed.SelectMany(t => ParamSet.FromJson(t.ParamsJson).Names).Distinct(StringComparer.Ordinal).ToList();
        var keyNames = by?.ToList() ?? names;
        Directory.CreateDirectory(directory);
        var index = new StringBuilder();
        index.AppendLine(CsvText.Line(["group", .. keyNames, "trials"]));
        var used = new HashSet<string>(StringComparer.Ordinal);
        var copied = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var (key, trials) = groups[g];
            var folder = Folder(key, used);
            var path = Path.Combine(directory, folder);
            Directory.CreateDirectory(path);
            index.AppendLine(CsvText.Line([folder, .. keyNames.Select(n => key.TryGetValue(n, out var v) ? TrialJson.Cell(v) : string.Empty), trials.Count.ToString(CultureInfo.InvariantCulture)]));

            var ordered = trials.OrderBy(t => t.Replicate).ToList();
            var rows = new StringBuilder().AppendLine(CsvText.Line(["replicate", "trial", .. scalars]));
            foreach (var t in ordered)
            {
                rows.AppendLine(CsvText.Line([t.Replicate.ToString(CultureInfo.InvariantCulture), t.Id, .. scalars.Select(s => ResultValues.Number(t, s) is { } v ? TrialJson.Cell(v) : string.Empty)]));
            }
            await OutputFile.WriteInsideAsync(Path.Combine(path, "scalars.csv"), rows.ToString(), cancellationToken).ConfigureAwait(false);

            foreach (var array in arrays)
            {
                var values = ordered.Select(t => ResultValues.Array(t.ResultsJson, array)).ToList();
                if (values.All(v => v is null))
                {
                    continue;
                }
                var summary = ArraySummarizer.ElementWise(ordered, array).Single();
                var table = new StringBuilder().AppendLine(CsvText.Line(["index", "mean", "std", "ci_low", "ci_high", "n", .. ordered.Select(t => "replicate_" + t.Replicate.ToString(CultureInfo.InvariantCulture))]));
                for (var i = 0; i < summary.Length; i++)
                {
                    table.AppendLine(CsvText.Line([i.ToString(CultureInfo.InvariantCulture), Cell(summary.Mean[i]), Cell(summary.Std[i]), Cell(summary.CiLow[i]), Cell(summary.CiHigh[i]),
                        summary.N[i].ToString(CultureInfo.InvariantCulture), .. values.Select(v => v is not null && i < v.Length ? Cell(v[i]) : string.Empty)]));
                }
                await OutputFile.WriteInsideAsync(Path.Combine(path, $"{Safe(array)}.array.csv"), table.ToString(), cancellationToken).ConfigureAwait(false);

                var pooled = new StringBuilder().AppendLine("replicate,index,value");
                for (var r = 0; r < ordered.Count; r++)
                {
                    for (var i = 0; i < (values[r]?.Length ?? 0); i++)
                    {
                        pooled.AppendLine(CsvText.Line([ordered[r].Replicate.ToString(CultureInfo.InvariantCulture), i.ToString(CultureInfo.InvariantCulture), Cell(values[r]![i])]));
                    }
                }
                await OutputFile.WriteInsideAsync(Path.Combine(path, $"{Safe(array)}.pooled.csv"), pooled.ToString(), cancellationToken).ConfigureAwait(false);
                var distribution = ArraySummarizer.Pooled(ordered, array).Single();
                var quantiles = new StringBuilder().AppendLine("statistic,value");
                quantiles.AppendLine(CsvText.Line(["n", distribution.Stats.N.ToString(CultureInfo.InvariantCulture)]));
                quantiles.AppendLine(CsvText.Line(["mean", Cell(distribution.Stats.Mean)]));
                quantiles.AppendLine(CsvText.Line(["std", Cell(distribution.Stats.Std)]));
                foreach (var (q, value) in distribution.Quantiles)
                {
                    quantiles.AppendLine(CsvText.Line([ArraySummaryOutput.QuantileName(q), Cell(value)]));
                }
                await OutputFile.WriteInsideAsync(Path.Combine(path, $"{Safe(array)}.quantiles.csv"), quantiles.ToString(), cancellationToken).ConfigureAwait(false);
            }

            var groupImages = images[g].Files.Where(f => ImageExtensions.Contains(Path.GetExtension(f))).ToList();
            if (groupImages.Count > 0)
            {
                var imageDir = Path.Combine(path, "images");
                Directory.CreateDirectory(imageDir);
                var list = new StringBuilder().AppendLine("trial,file,copied_as");
                foreach (var file in groupImages)
                {
                    var trial = Path.GetFileName(Path.GetDirectoryName(file)) ?? "trial";
                    var target = $"{trial}-{Path.GetFileName(file)}";
                    var info = new FileInfo(file);
                    var copy = info.Exists && info.LinkTarget is null && info.Length <= MaxImageBytes;
                    if (copy)
                    {
                        OutputFile.CopyInside(file, Path.Combine(imageDir, target));
                        copied++;
                    }
                    list.AppendLine(CsvText.Line([trial, Path.GetFileName(file), copy ? "images/" + target : string.Empty]));
                }
                await OutputFile.WriteInsideAsync(Path.Combine(path, "images.csv"), list.ToString(), cancellationToken).ConfigureAwait(false);
            }
        }
        await OutputFile.WriteInsideAsync(Path.Combine(directory, IndexFile), index.ToString(), cancellationToken).ConfigureAwait(false);
        return (groups.Count, copied);
    }

    // Images are matched against the groups of StudyResults, which groups completed trials the same way.
    private static string Folder(ParamSet key, HashSet<string> used)
    {
        var name = key.Count == 0 ? "all" : Safe(string.Join("_", key.Select(p => $"{p.Key}={ParamValues.Format(p.Value)}")));
        if (name.Length > 120)
        {
            name = name[..100] + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        }
        var unique = name;
        for (var i = 2; !used.Add(unique); i++)
        {
            unique = $"{name}-{i}";
        }
        return unique;
    }

    /// <summary>A file name from a result or parameter value: no separators, no dot files, nothing a shell trips on.</summary>
    private static string Safe(string text)
    {
        var chars = text.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '=' or '.' or '+' ? c : '_').ToArray();
        var safe = new string(chars).TrimStart('.');
        return safe.Length == 0 ? "_" : safe;
    }

    private static string Cell(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : TrialJson.Cell(value);
}
