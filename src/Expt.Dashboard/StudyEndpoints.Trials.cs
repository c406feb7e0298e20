using Expt.Analysis;
using Expt.Trials;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// The trials table: Core's TrialQuery (the engine of expt ls) filters and orders it; the order is kept per snapshot.
internal static partial class StudyEndpoints
{
    /// <summary>A row of the trials table (also of the compare page).</summary>
    internal sealed record TrialRow(string Id, string Status, int Replicate, int Attempts, double? Duration, DateTimeOffset? Started, DateTimeOffset? Finished,
        string? Host, Dictionary<string, object?> Params, Dictionary<string, object?> Results, string? Error);

    /// <summary>One page of the table, with how many trials there are and how many matched.</summary>
    internal sealed record TrialsPage(int Total, int Matched, int Page, int Pages, int Size, IReadOnlyList<TrialRow> Rows, long Version);

    /// <summary>The rows of the table: filtered, sorted, one page; the order is kept for the snapshot so paging is instant.</summary>
    private static IResult Trials(HttpContext http, string? status, string? where, string? q, string? sort, bool? desc, int? page, int? size)
    {
        var s = Snapshot(http);
        int[] order;
        try
        {
            order = Order(s, TrialQuery.Parse(status, where, q, sort == TrialSort.Plan ? null : sort, desc ?? false));
        }
        catch (FormatException ex)
        {
            return BadRequest(ex.Message);
        }
        var current = TrialPage.Of(order.Length, page, size, MaxPageSize);
        var rows = current.Slice(order).Select(i => Row(s.Rows[i])).ToList();
        return Results.Json(new TrialsPage(s.Rows.Length, order.Length, current.Page, current.Pages, current.Size, rows, s.Version));
    }

    internal static TrialRow Row(TrialResult r) => new(
        r.Record.Id, r.Record.Status.ToName(), r.Record.Replicate, r.Record.Attempts, r.Record.Duration?.TotalSeconds, r.Record.Started, r.Record.Finished, r.Record.Host,
        r.Params.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        r.Results.ToDictionary(p => p.Key, p => p.Value is string { Length: > 120 } text ? text[..120] + "…" : p.Value, StringComparer.Ordinal),
        FirstLine(r.Record.Error));

    private static string? FirstLine(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var line = text.Split('\n', 2)[0].TrimEnd();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>The positions of the snapshot's rows the query selects, in its order (computed once per snapshot and query).</summary>
    internal static int[] Order(StudySnapshot s, TrialQuery query) =>
        s.Orders.TryGet(query, out var order) ? order : s.Orders.Keep(query, query.Select(s.Rows, s.Objectives.Primary));
}
