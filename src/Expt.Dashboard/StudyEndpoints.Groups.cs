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
    /// <summary>Groups side by side (each a where-expression): counts and statistics of every metric, and A vs B tests.</summary>
    private static async Task<IResult> GroupsAsync(HttpContext http, string name, StudyCache cache, HttpRequest request, CancellationToken cancellationToken)
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
        return Results.Json(new
        {
            metrics = s.Metrics,
            groups = groups.Select(g => new
            {
                where = g.Text,
                trials = g.Rows.Count,
                counts = g.Rows.GroupBy(r => r.Record.Status).ToDictionary(x => x.Key.ToName(), x => x.Count(), StringComparer.Ordinal),
                stats = s.Metrics.ToDictionary(m => m, m =>
                {
                    var d = Descriptive.Of(Values(g.Rows, m));
                    return new { n = d.N, mean = Json.Finite(d.Mean), std = Json.Finite(d.Std), ciLow = Json.Finite(d.CiLow), ciHigh = Json.Finite(d.CiHigh), min = Json.Finite(d.Min), max = Json.Finite(d.Max) };
                }, StringComparer.Ordinal),
            }),
            comparison = groups.Count < 2 ? null : s.Metrics.ToDictionary(m => m, m =>
            {
                var c = GroupComparison.Of(Values(groups[0].Rows, m), Values(groups[1].Rows, m));
                return new { difference = Json.Finite(c.Difference), ciLow = Json.Finite(c.CiLow), ciHigh = Json.Finite(c.CiHigh), welchP = Json.Finite(c.WelchP), mannWhitneyP = Json.Finite(c.MannWhitneyP) };
            }, StringComparer.Ordinal),
        });
    }

    /// <summary>The most trials whose directories are looked through for images, images per group, and groups.</summary>
    internal const int ImageTrials = 500, ImagesPerGroup = 24, ImageGroups = 100;

    /// <summary>
    /// The image artifacts of the completed trials, grouped like the summary (ORruns' merged images): a grid per
    /// group. Bounded in trials looked at, images and groups; links are never followed, files are served by the
    /// trial file endpoint, which keeps every path inside its trial's directory.
    /// </summary>
    private static async Task<IResult> ImagesAsync(HttpContext http, string name, StudyCache cache, string? by, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        by = Blank(by);
        var completed = s.Records.Where(t => t.Status == TrialStatus.Completed).OrderBy(t => t.Seq).ToList();
        var looked = completed.Take(ImageTrials).ToList();
        var groups = new List<object>();
        foreach (var (key, trials) in Summarizer.Group(looked, By(by)).Take(ImageGroups))
        {
            var images = new List<object>();
            var total = 0;
            foreach (var trial in trials.OrderBy(t => t.Replicate))
            {
                var directory = await TrialDirectories.LocalAsync(cache.Store, trial, cancellationToken).ConfigureAwait(false);
                foreach (var file in Execution.TrialFiles.List(directory, maxEntries: 1000).Entries
                    .Where(f => f.Kind == Execution.TrialFileKind.File && TrialEndpoints.IsImage(f.Path)))
                {
                    if (++total <= ImagesPerGroup)
                    {
                        images.Add(new
                        {
                            trial = trial.Id,
                            replicate = trial.Replicate,
                            path = file.Path,
                            url = $"/api/trials/{trial.Id}/files/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}",
                        });
                    }
                }
            }
            if (total > 0)
            {
                groups.Add(new { label = key.ToString(), @params = key.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), images, total });
            }
        }
        return Results.Json(new { by = By(by), groups, trials = looked.Count, completed = completed.Count });
    }
}
