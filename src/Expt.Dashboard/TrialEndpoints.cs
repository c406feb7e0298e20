using Expt.Analysis;
using Expt.Execution;
using Expt.Storage;
using Expt.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace Expt.Dashboard;

/// <summary>A trial's page: its record, metric histories, files, logs; and trials side by side.</summary>
internal static class TrialEndpoints
{
    /// <summary>The most of a log sent to the page (its end, where the error is).</summary>
    public const int MaxLogBytes = 2 << 20;

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private static readonly HashSet<string> Images = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp" };

    /// <summary>True when the file is shown as an image (in a trial's page and the study's image grid).</summary>
    internal static bool IsImage(string path) => Images.Contains(Path.GetExtension(path));

    /// <summary>A file in a trial's directory; a link is listed with its target and never followed.</summary>
    internal sealed record FileView(string Path, long Size, bool Image, string? Link);

    /// <summary>A trial's page: its record, params, results, redacted provenance and files.</summary>
    internal sealed record TrialView(string Id, string Study, string Status, int Replicate, string Seed, int Attempts, int MaxAttempts, DateTimeOffset Created,
        DateTimeOffset? Started, DateTimeOffset? Finished, double? Duration, string? Host, int? Pid, int? ExitCode, string? LeaseOwner, DateTimeOffset? Heartbeat,
        string? Error, Dictionary<string, object?> Params, System.Text.Json.JsonElement? Results, object? Provenance, IReadOnlyList<FileView> Files, bool FilesTruncated, bool Actions);

    /// <summary>One step metric of a trial, downsampled.</summary>
    internal sealed record SeriesView(string Name, int N, double[] X, double?[] Y);

    /// <summary>A trial's step metrics.</summary>
    internal sealed record MetricsView(string Id, string Status, IReadOnlyList<SeriesView> Series);

    /// <summary>A trial of the compare page, with its study.</summary>
    internal sealed record ComparedTrial(string Study, StudyEndpoints.TrialRow Row);

    /// <summary>Trials side by side: the union of their params and results names.</summary>
    internal sealed record CompareView(IReadOnlyList<string> Params, IReadOnlyList<string> Results, IReadOnlyList<ComparedTrial> Trials);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/trials/{id}", TrialAsync);
        app.MapGet("/api/trials/{id}/metrics", MetricsAsync);
        app.MapGet("/api/trials/{id}/log/{stream}", LogAsync);
        app.MapGet("/api/trials/{id}/files/{**path}", FileAsync);
        app.MapGet("/api/compare", CompareAsync);
    }

    /// <summary>A trial by id or unique prefix.</summary>
    internal static async Task<TrialRecord?> FindAsync(IExptStore store, string id, CancellationToken cancellationToken)
    {
        var found = await store.FindTrialsAsync(id, cancellationToken).ConfigureAwait(false);
        return found.FirstOrDefault(t => t.Id == id) ?? (found.Count == 1 ? found[0] : null);
    }

    private static async Task<IResult> TrialAsync(string id, StudyCache cache, DashboardOptions options, CancellationToken cancellationToken)
    {
        if (await FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } t)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var directory = await TrialDirectories.LocalAsync(cache.Store, t, cancellationToken).ConfigureAwait(false);
        // Bounded, links listed and never followed: a trial's link to '..' cannot make this page hang.
        var listing = TrialFiles.List(directory, maxEntries: 1000);
        var files = listing.Entries
            .Select(f => new FileView(f.Path, f.Length, f.Kind == TrialFileKind.File && Images.Contains(Path.GetExtension(f.Path)), f.LinkTarget))
            .ToList();
        var row = new TrialResult(t);
        return Results.Json(new TrialView(
            t.Id, t.StudyName, t.Status.ToName(), t.Replicate, t.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Attempts, t.MaxAttempts, t.Created,
            t.Started, t.Finished, t.Duration?.TotalSeconds, t.Host, t.Pid, t.ExitCode, t.LeaseOwner, t.Heartbeat, t.Error,
            row.Params.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), Json.Raw(t.ResultsJson), Json.Redacted(t.ProvenanceJson),
            files, listing.Truncated, options.AllowActions));
    }

    /// <summary>Every step metric of the trial, each downsampled (min/max per bucket) to the point budget.</summary>
    private static async Task<IResult> MetricsAsync(string id, StudyCache cache, DashboardOptions options, int? points, CancellationToken cancellationToken)
    {
        if (await FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } t)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var budget = Math.Clamp(points ?? options.MaxSeriesPoints, 16, options.MaxSeriesPoints);
        // A finished trial's history never changes: its drawn form is kept (a few trials' worth).
        var key = (t.Id, t.Status, budget);
        if (t.Status is not (TrialStatus.Running or TrialStatus.Pending) && cache.Series.TryGet(key, out var kept))
        {
            return Results.Json(kept);
        }
        var all = await cache.Store.GetMetricsAsync(t.Id, cancellationToken).ConfigureAwait(false);
        // One pass: points come grouped by name and ordered by step from the store; sort only if they are not.
        var columns = new Dictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
        foreach (var point in all)
        {
            if (!columns.TryGetValue(point.Name, out var column))
            {
                columns[point.Name] = column = (new List<double>(), new List<double>());
            }
            column.X.Add(point.Step);
            column.Y.Add(point.Value);
        }
        var series = new List<SeriesView>();
        foreach (var (name, (xs, ys)) in columns)
        {
            var x = xs.ToArray();
            var y = ys.ToArray();
            if (!IsSorted(x))
            {
                Array.Sort(x, y);
            }
            var keep = Downsampler.MinMax(x, y, budget);
            series.Add(new SeriesView(name, x.Length, keep.Select(i => x[i]).ToArray(), Json.Finite(keep.Select(i => y[i]))));
        }
        var view = new MetricsView(t.Id, t.Status.ToName(), series);
        if (t.Status is not (TrialStatus.Running or TrialStatus.Pending))
        {
            cache.Series.Keep(key, view);
        }
        return Results.Json(view);
    }

    private static bool IsSorted(double[] x)
    {
        for (var i = 1; i < x.Length; i++)
        {
            if (x[i] < x[i - 1])
            {
                return false;
            }
        }
        return true;
    }

    private static async Task<IResult> LogAsync(string id, string stream, StudyCache cache, CancellationToken cancellationToken)
    {
        if (stream is not ("stdout" or "stderr"))
        {
            return StudyEndpoints.NotFound("logs are stdout and stderr");
        }
        if (await FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } t)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var directory = await TrialDirectories.LocalAsync(cache.Store, t, cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(directory, stream == "stdout" ? CommandExecutor.StdoutFile : CommandExecutor.StderrFile);
        var text = TrialFiles.ReadEnd(path, MaxLogBytes, out var skip) ?? string.Empty;
        if (skip > 0)
        {
            text = $"[… the first {skip:N0} bytes are not shown; the file is {path}]\n" + text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        }
        return Results.Text(text, "text/plain; charset=utf-8");
    }

    /// <summary>
    /// One of the trial's files. The path must stay inside the trial's directory: <c>..</c>, absolute paths and links
    /// pointing out are refused, whatever their encoding, because the resolved full path is what is checked.
    /// </summary>
    private static async Task<IResult> FileAsync(string id, string path, bool? download, StudyCache cache, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } t)
        {
            return StudyEndpoints.NotFound($"no trial '{id}'");
        }
        var directory = Path.GetFullPath(await TrialDirectories.LocalAsync(cache.Store, t, cancellationToken).ConfigureAwait(false));
        if (Resolve(directory, path) is not { } full)
        {
            return ApiError.Forbidden("that path is outside the trial's directory");
        }
        if (!File.Exists(full))
        {
            return StudyEndpoints.NotFound($"no file '{path}' in trial {t.Id}");
        }
        // A FIFO or a device has no length and might never end: it is served as empty, never opened.
        var empty = new FileInfo(full).Length == 0;
        if (!ContentTypes.TryGetContentType(full, out var type))
        {
            type = "application/octet-stream";
        }
        var extension = Path.GetExtension(full);
        // A file is the trial's, not the dashboard's: it runs no script here, whatever it contains.
        response.Headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";
        var inline = download != true && (Images.Contains(extension) || type.StartsWith("text/", StringComparison.Ordinal) || type == "application/json");
        if (type is "text/html" or "application/xhtml+xml")
        {
            type = "text/plain";
        }
        return empty
            ? Results.Bytes([], type, inline ? null : Path.GetFileName(full))
            : Results.File(full, type, inline ? null : Path.GetFileName(full), enableRangeProcessing: true);
    }

    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="root"/>, or null when it escapes.</summary>
    internal static string? Resolve(string root, string relative)
    {
        if (string.IsNullOrEmpty(relative) || Path.IsPathRooted(relative) || relative.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }
        var prefix = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        // A link inside the directory may point anywhere: follow it and check again.
        var info = new FileInfo(full);
        if (info.Exists && info.LinkTarget is not null)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (target is null || !Path.GetFullPath(target).StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }
        }
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length >= prefix.Length; dir = Path.GetDirectoryName(dir))
        {
            var folder = new DirectoryInfo(dir);
            if (folder is { Exists: true, LinkTarget: not null }
                && (folder.ResolveLinkTarget(returnFinalTarget: true)?.FullName is not { } real || !(Path.GetFullPath(real) + Path.DirectorySeparatorChar).StartsWith(prefix, StringComparison.Ordinal)))
            {
                return null;
            }
        }
        return full;
    }

    private static async Task<IResult> CompareAsync(StudyCache cache, string? ids, CancellationToken cancellationToken)
    {
        var list = (ids ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).Take(20).ToList();
        if (list.Count == 0)
        {
            return StudyEndpoints.BadRequest("ids: give trial ids, comma-separated");
        }
        var trials = new List<TrialResult>();
        foreach (var id in list)
        {
            if (await FindAsync(cache.Store, id, cancellationToken).ConfigureAwait(false) is not { } t)
            {
                return StudyEndpoints.NotFound($"no trial '{id}'");
            }
            trials.Add(new TrialResult(t));
        }
        return Results.Json(new CompareView(
            [.. trials.SelectMany(t => t.Params.Names).Distinct(StringComparer.Ordinal)],
            [.. trials.SelectMany(t => t.Results.Keys).Distinct(StringComparer.Ordinal)],
            [.. trials.Select(t => new ComparedTrial(t.Record.StudyName, StudyEndpoints.Row(t)))]));
    }
}
