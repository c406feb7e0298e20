using Expt.Analysis;
using Expt.Expressions;
using Expt.Trials;
using Microsoft.AspNetCore.Http;

namespace Expt.Dashboard;

// The trials table: filtered, searched, sorted and paged on the server, its order kept per snapshot.
internal static partial class StudyEndpoints
{
    /// <summary>The rows of the table: filtered, sorted, one page; the order is kept for the snapshot so paging is instant.</summary>
    private static async Task<IResult> TrialsAsync(HttpContext http, string name, StudyCache cache, string? status, string? where, string? q, string? sort, bool? desc, int? page, int? size, CancellationToken cancellationToken)
    {
        var s = Snapshot(http);
        int[] order;
        try
        {
            order = Order(s, status, where, q, sort, desc ?? false);
        }
        catch (FormatException ex)
        {
            return BadRequest(ex.Message);
        }
        var pageSize = Math.Clamp(size ?? 50, 1, MaxPageSize);
        var pages = Math.Max(1, (order.Length + pageSize - 1) / pageSize);
        var current = Math.Clamp(page ?? 1, 1, pages);
        var rows = order.Skip((current - 1) * pageSize).Take(pageSize).Select(i => Row(s.Rows[i])).ToList();
        return Results.Json(new { total = s.Rows.Length, matched = order.Length, page = current, pages, size = pageSize, rows, version = s.Version });
    }

    internal static object Row(TrialResult r) => new
    {
        id = r.Record.Id,
        status = r.Record.Status.ToName(),
        replicate = r.Record.Replicate,
        attempts = r.Record.Attempts,
        duration = r.Record.Duration?.TotalSeconds,
        started = r.Record.Started,
        finished = r.Record.Finished,
        host = r.Record.Host,
        @params = r.Params.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        results = r.Results.ToDictionary(p => p.Key, p => p.Value is string { Length: > 120 } text ? text[..120] + "…" : p.Value, StringComparer.Ordinal),
        error = FirstLine(r.Record.Error),
    };

    private static string? FirstLine(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var line = text.Split('\n', 2)[0].TrimEnd();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    internal static int[] Order(StudySnapshot s, string? status, string? where, string? q, string? sort, bool desc)
    {
        var key = $"order|{status}|{where}|{q}|{sort}|{desc}";
        if (s.Memo.TryGetValue(key, out var memo))
        {
            return (int[])memo;
        }
        var statuses = new HashSet<TrialStatus>();
        foreach (var part in (status ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TrialStatusNames.TryParse(part, out var st))
            {
                throw new FormatException($"status: unknown status '{part}' (expected pending, running, completed, failed, timeout or cancelled)");
            }
            statuses.Add(st);
        }
        WhereExpression? expression = null;
        if (!string.IsNullOrWhiteSpace(where))
        {
            try
            {
                expression = WhereExpression.Parse(where);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new FormatException($"where: {ex.Message}", ex);
            }
        }
        var text = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        var selected = new List<int>(s.Rows.Length);
        for (var i = 0; i < s.Rows.Length; i++)
        {
            var row = s.Rows[i];
            if (statuses.Count > 0 && !statuses.Contains(row.Record.Status))
            {
                continue;
            }
            if (text is not null && !row.Record.Id.StartsWith(text, StringComparison.OrdinalIgnoreCase)
                && !row.Params.ToString().Contains(text, StringComparison.OrdinalIgnoreCase)
                && !(row.Record.Error?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                continue;
            }
            if (expression is not null && !expression.Matches(row.Record, row.Params, row.Results))
            {
                continue;
            }
            selected.Add(i);
        }
        var order = selected.ToArray();
        if (!string.IsNullOrEmpty(sort) && sort != "seq")
        {
            // The fields and the order (numbers, then text, missing last) are those of expt ls --sort.
            Func<TrialResult, object?> value = sort switch
            {
                _ when sort.StartsWith("p.", StringComparison.Ordinal) => r => r.Params.TryGetValue(sort[2..], out var v) ? v : null,
                _ when sort.StartsWith("r.", StringComparison.Ordinal) => r => r.Results.GetValueOrDefault(sort[2..]),
                _ when Analysis.ValueOrder.Field(sort) is { } field => r => field(r.Record),
                _ => throw new FormatException($"sort: unknown column '{sort}' (expected {string.Join(", ", Analysis.ValueOrder.Fields)}, p.NAME or r.NAME)"),
            };
            var positions = Analysis.ValueOrder.Sort([.. order.Select(i => value(s.Rows[i]))], desc);
            order = positions.Select(p => order[p]).ToArray();
        }
        else if (desc)
        {
            Array.Reverse(order);
        }
        if (s.Memo.Count > 64)
        {
            s.Memo.Clear();
        }
        s.Memo[key] = order;
        return order;
    }
}
