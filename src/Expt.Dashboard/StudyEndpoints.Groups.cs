using Expt.Analysis;
using Expt.Expressions;
using Expt.Statistics;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// Groups side by side (compare) and the image artifacts of each group.
internal static partial class StudyEndpoints
{
    /// <summary>Statistics of one metric in one group.</summary>
    internal sealed record GroupStats(int N, double? Mean, double? Std, double? CiLow, double? CiHigh, double? Min, double? Max);

    /// <summary>A group (the trials a where-expression selects): counts by status and statistics by metric.</summary>
    internal sealed record GroupView(string Where, int Trials, Dictionary<string, int> Counts, Dictionary<string, GroupStats> Stats);

    /// <summary>The first group against the second, for one metric: the difference with its interval, and both tests.</summary>
    internal sealed record GroupDifference(double? Difference, double? CiLow, double? CiHigh, double? WelchP, double? MannWhitneyP);

    /// <summary>Groups side by side, and the first two compared.</summary>
    internal sealed record GroupsView(IReadOnlyList<string> Metrics, IReadOnlyList<GroupView> Groups, Dictionary<string, GroupDifference>? Comparison);

    /// <summary>An image a trial of a group made, served by the trial file endpoint.</summary>
    internal sealed record ImageView(string Trial, int Replicate, string Path, string Url);

    /// <summary>A group's images (at most <see cref="ImagesPerGroup"/>) and how many it has.</summary>
    internal sealed record ImageGroupView(string Label, Dictionary<string, object?> Params, IReadOnlyList<ImageView> Images, int Total);

    /// <summary>The image grid: groups, and how many trials were looked through of how many completed.</summary>
    internal sealed record ImagesView(IReadOnlyList<string>? By, IReadOnlyList<ImageGroupView> Groups, int Trials, int Completed);

    /// <summary>Groups side by side (each a where-expression): counts and statistics of every metric, and A vs B tests.</summary>
    private static IResult Groups(HttpContext http, HttpRequest request)
    {
        var s = Snapshot(http);
        var texts = request.Query["g"].Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g!).ToList();
        if (texts.Count == 0)
        {
            return BadRequest("g: give one where-expression per group (?g=lr == 0.1&g=lr == 0.01)");
        }
        var groups = new List<(string Text, List<TrialResult> Rows)>();
        foreach (var text in texts)
        {
            try
            {
                var expression = WhereExpression.Parse(text);
                groups.Add((text, s.Rows.Where(r => expression.Matches(r.Record, r.Params, r.Results)).ToList()));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                return BadRequest($"g '{text}': {ex.Message}");
            }
        }
        static IEnumerable<double> Values(List<TrialResult> rows, string metric) =>
            rows.Where(r => r.Record.Status == TrialStatus.Completed).Select(r => r.Number(metric)).Where(v => v is not null).Select(v => v!.Value);
        return Results.Json(new GroupsView(
            s.Metrics,
            [.. groups.Select(g => new GroupView(
                g.Text,
                g.Rows.Count,
                g.Rows.GroupBy(r => r.Record.Status).ToDictionary(x => x.Key.ToName(), x => x.Count(), StringComparer.Ordinal),
                s.Metrics.ToDictionary(m => m, m =>
                {
                    var d = Descriptive.Of(Values(g.Rows, m));
                    return new GroupStats(d.N, Json.Finite(d.Mean), Json.Finite(d.Std), Json.Finite(d.CiLow), Json.Finite(d.CiHigh), Json.Finite(d.Min), Json.Finite(d.Max));
                }, StringComparer.Ordinal)))],
            groups.Count < 2 ? null : s.Metrics.ToDictionary(m => m, m =>
            {
                var c = GroupComparison.Of(Values(groups[0].Rows, m), Values(groups[1].Rows, m));
                return new GroupDifference(Json.Finite(c.Difference), Json.Finite(c.CiLow), Json.Finite(c.CiHigh), Json.Finite(c.WelchP), Json.Finite(c.MannWhitneyP));
            }, StringComparer.Ordinal)));
    }

    /// <summary>The most trials whose directories are looked through for images, images per group, and groups.</summary>
    internal const int ImageTrials = 500, ImagesPerGroup = 24, ImageGroups = 100;

    /// <summary>
    /// The image artifacts of the completed trials, grouped like the summary (ORruns' merged images): a grid per
    /// group. Bounded in trials looked at, images and groups; links are never followed, files are served by the
    /// trial file endpoint, which keeps every path inside its trial's directory.
    /// </summary>
    private static async Task<IResult> ImagesAsync(HttpContext http, StudyCache cache, string? by, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        by = Blank(by);
        var completed = s.Records.Where(t => t.Status == TrialStatus.Completed).OrderBy(t => t.Seq).ToList();
        var looked = completed.Take(ImageTrials).ToList();
        var groups = new List<ImageGroupView>();
        foreach (var (key, trials) in Summarizer.Group(looked, By(by)).Take(ImageGroups))
        {
            var images = new List<ImageView>();
            var total = 0;
            foreach (var trial in trials.OrderBy(t => t.Replicate))
            {
                var directory = await TrialDirectories.LocalAsync(cache.Store, trial, cancellationToken).ConfigureAwait(false);
                foreach (var file in Execution.TrialFiles.List(directory, maxEntries: 1000).Entries
                    .Where(f => f.Kind == Execution.TrialFileKind.File && TrialEndpoints.IsImage(f.Path)))
                {
                    if (++total <= ImagesPerGroup)
                    {
                        images.Add(new ImageView(trial.Id, trial.Replicate, file.Path,
                            $"/api/trials/{trial.Id}/files/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}"));
                    }
                }
            }
            if (total > 0)
            {
                groups.Add(new ImageGroupView(key.ToString(), key.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), images, total));
            }
        }
        return Results.Json(new ImagesView(By(by), groups, looked.Count, completed.Count));
    }
}
