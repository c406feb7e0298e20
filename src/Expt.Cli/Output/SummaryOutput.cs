using System.Globalization;
using System.Text;
using System.Text.Json;
using Expt.Analysis;
using Expt.Spec;

namespace Expt.Cli.Output;

/// <summary>Renders group summaries: a table, JSON (documented shape), and a LaTeX booktabs table.</summary>
internal static class SummaryOutput
{
    private static string G(double value) => double.IsNaN(value) ? "-" : value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The groups as a table; with <paramref name="adaptive"/>, each point's state in an "adaptive" column.</summary>
    public static TableData Table(IReadOnlyList<GroupSummary> groups, Adaptive.AdaptiveReport? adaptive = null)
    {
        var names = groups.SelectMany(g => g.Key.Names).Distinct(StringComparer.Ordinal).ToList();
        var multi = groups.Select(g => g.Metric).Distinct().Count() > 1;
        // Failed trials and completed trials without the metric are different things: each has its column.
        var nonFinite = groups.Any(g => g.Stats.NonFinite > 0);
        var headers = names.Concat(multi ? ["metric"] : []).Concat(["n", "mean", "std", "sem", "95% ci", "min", "median", "max", "rank", "failed", "missing"])
            .Concat(nonFinite ? ["non-finite"] : []).Concat(adaptive is null ? [] : ["adaptive"]).ToList();
        var rows = groups.Select(g =>
        {
            var s = g.Stats;
            var row = names.Select(n => g.Key.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty).ToList();
            if (multi)
            {
                row.Add(g.Metric);
            }
            row.AddRange([s.N.ToString(CultureInfo.InvariantCulture), G(s.Mean), G(s.Std), G(s.Sem),
                double.IsNaN(s.CiLow) ? "-" : $"[{G(s.CiLow)}, {G(s.CiHigh)}]", G(s.Min), G(s.Median), G(s.Max),
                g.Rank?.ToString(CultureInfo.InvariantCulture) ?? "-", g.Failed.ToString(CultureInfo.InvariantCulture), g.Missing.ToString(CultureInfo.InvariantCulture)]);
            if (nonFinite)
            {
                row.Add(s.NonFinite.ToString(CultureInfo.InvariantCulture));
            }
            if (adaptive is not null)
            {
                row.Add(adaptive.RowFor(g.Key) is { } point ? adaptive.StatusOf(point) : string.Empty);
            }
            return (IReadOnlyList<string>)row;
        }).ToList();
        var first = names.Count + (multi ? 1 : 0);
        // On a narrow terminal: the mean and rank stay, then what tells the rows apart, the interval, n, the spread;
        // sem, min, median, max and the counts of failed and missing go first.
        var statPriority = new[] { 600, 1000, 500, 200, 700, 300, 250, 290, 900, 450, 350 };
        var priority = names.Select((_, i) => i == 0 ? 920 : 800 - i).Concat(multi ? [880] : []).Concat(statPriority).Concat(nonFinite ? [400] : []).Concat(adaptive is null ? [] : [850]).ToList();
        var right = Enumerable.Range(first, headers.Count - first - (adaptive is null ? 0 : 1)).Where(i => i != first + 4).ToHashSet();
        var constants = TableData.ConstantColumns(rows, Enumerable.Range(0, names.Count));
        return new TableData(headers, rows) { RightAligned = right, Priority = priority, Constants = constants, Shrinkable = multi ? new HashSet<int> { names.Count } : new HashSet<int>(), Narrow = NarrowTable(groups, names, multi, adaptive, constants) };
    }

    // Mean and the half-width of its 95% interval in one cell ("3.218 ± 1.052"), n, rank and failures: what a 60- or
    // 80-column terminal can hold.
    private static TableData NarrowTable(IReadOnlyList<GroupSummary> groups, List<string> names, bool multi, Adaptive.AdaptiveReport? adaptive, IReadOnlySet<int> constants)
    {
        static string G4(double value) => double.IsNaN(value) ? "-" : value.ToString("G4", CultureInfo.InvariantCulture);
        static string G3(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
        var headers = names.Concat(multi ? ["metric"] : []).Concat(["n", "mean ± 95% ci", "rank", "failed"]).Concat(adaptive is null ? [] : ["adaptive"]).ToList();
        var rows = groups.Select(g =>
        {
            var s = g.Stats;
            var row = names.Select(n => g.Key.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty).ToList();
            if (multi)
            {
                row.Add(g.Metric);
            }
            var half = double.IsNaN(s.CiHigh) ? double.NaN : (s.CiHigh - s.CiLow) / 2;
            row.AddRange([s.N.ToString(CultureInfo.InvariantCulture), double.IsNaN(half) ? G4(s.Mean) : $"{G4(s.Mean)} ± {G3(half)}",
                g.Rank?.ToString(CultureInfo.InvariantCulture) ?? "-", g.Failed.ToString(CultureInfo.InvariantCulture)]);
            if (adaptive is not null)
            {
                row.Add(adaptive.RowFor(g.Key) is { } point ? adaptive.StatusOf(point) : string.Empty);
            }
            return (IReadOnlyList<string>)row;
        }).ToList();
        var first = names.Count + (multi ? 1 : 0);
        var priority = names.Select((_, i) => i == 0 ? 920 : 800 - i).Concat(multi ? [880] : []).Concat([600, 1000, 700, 450]).Concat(adaptive is null ? [] : [850]).ToList();
        return new TableData(headers, rows)
        {
            RightAligned = Enumerable.Range(first, 4).ToHashSet(),
            Priority = priority,
            Constants = constants,
            Shrinkable = multi ? new HashSet<int> { names.Count } : new HashSet<int>(),
        };
    }

    /// <summary>
    /// Each group: its parameter values by name, then metric, n, mean, std, sem, ci_low, ci_high, min, median, max,
    /// rank, failed, missing, nan; non-finite numbers are null. Parameters are repeated under "params". With
    /// <paramref name="adaptive"/>, "adaptive" holds the point's state, round, p-value and reason.
    /// </summary>
    public static void Json(Utf8JsonWriter w, IReadOnlyList<GroupSummary> groups, Adaptive.AdaptiveReport? adaptive = null)
    {
        w.WriteStartArray();
        foreach (var g in groups)
        {
            w.WriteStartObject();
            var reserved = new HashSet<string>(["metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "min", "median", "max", "rank", "goal", "failed", "missing", "nan", "non_finite", "params", "adaptive"]);
            foreach (var (name, value) in g.Key.Where(p => !reserved.Contains(p.Key)))
            {
                w.WritePropertyName(name);
                ParamValues.WriteJson(w, value);
            }
            w.WritePropertyName("params");
            w.WriteRawValue(g.Key.ToFlatJson());
            w.WriteString("metric", g.Metric);
            w.WriteNumber("n", g.Stats.N);
            Number(w, "mean", g.Stats.Mean);
            Number(w, "std", g.Stats.Std);
            Number(w, "sem", g.Stats.Sem);
            Number(w, "ci_low", g.Stats.CiLow);
            Number(w, "ci_high", g.Stats.CiHigh);
            Number(w, "min", g.Stats.Min);
            Number(w, "median", g.Stats.Median);
            Number(w, "max", g.Stats.Max);
            if (g.Rank is { } rank)
            {
                w.WriteNumber("rank", rank);
            }
            else
            {
                w.WriteNull("rank");
            }
            w.WriteString("goal", g.Goal == Goal.Minimize ? "minimize" : "maximize");
            w.WriteNumber("failed", g.Failed);
            w.WriteNumber("missing", g.Missing);
            // Left out of the statistics: NaN and infinities ("nan" kept for scripts written before "non_finite").
            w.WriteNumber("non_finite", g.Stats.NonFinite);
            w.WriteNumber("nan", g.Stats.NonFinite);
            if (adaptive?.RowFor(g.Key) is { } point)
            {
                w.WriteStartObject("adaptive");
                w.WriteString("state", point.Decision?.StateName ?? "open");
                w.WriteString("status", adaptive.StatusOf(point));
                if (point.Decision is { } d)
                {
                    w.WriteNumber("round", d.Round);
                    if (d.PValue is { } p && double.IsFinite(p))
                    {
                        w.WriteNumber("p_value", p);
                    }
                    w.WriteString("reason", d.Reason);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>A booktabs table: one row per group, mean ± CI half-width per metric, the best mean of each metric in bold.</summary>
    public static string Latex(IReadOnlyList<GroupSummary> groups, string caption)
    {
        var names = groups.SelectMany(g => g.Key.Names).Distinct(StringComparer.Ordinal).ToList();
        var metrics = groups.Select(g => g.Metric).Distinct(StringComparer.Ordinal).ToList();
        var keys = groups.Select(g => g.Key.ToCanonicalJson()).Distinct(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("% requires \\usepackage{booktabs}\n");
        sb.Append("\\begin{table}[ht]\n\\centering\n");
        sb.Append("\\begin{tabular}{").Append(new string('l', names.Count)).Append(new string('r', metrics.Count)).Append("}\n\\toprule\n");
        sb.Append(string.Join(" & ", names.Select(Escape).Concat(metrics.Select(m => Escape(m))))).Append(" \\\\\n\\midrule\n");
        foreach (var key in keys)
        {
            var row = groups.Where(g => g.Key.ToCanonicalJson() == key).ToList();
            var cells = names.Select(n => row[0].Key.TryGetValue(n, out var v) ? Escape(ParamValues.Format(v)) : string.Empty).ToList();
            foreach (var metric in metrics)
            {
                var g = row.FirstOrDefault(r => r.Metric == metric);
                if (g is null || g.Stats.N == 0)
                {
                    cells.Add("--");
                    continue;
                }
                var half = (g.Stats.CiHigh - g.Stats.CiLow) / 2;
                var body = double.IsNaN(half) ? Num(g.Stats.Mean) : $"{Num(g.Stats.Mean)} \\pm {Num(half)}";
                cells.Add(g.Rank == 1 ? $"$\\mathbf{{{body}}}$" : $"${body}$");
            }
            sb.Append(string.Join(" & ", cells)).Append(" \\\\\n");
        }
        sb.Append("\\bottomrule\n\\end{tabular}\n");
        sb.Append("\\caption{").Append(Escape(caption)).Append(" (mean $\\pm$ 95\\% CI half-width; best in bold)}\n\\end{table}\n");
        return sb.ToString();
    }

    private static string Num(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '&' or '%' or '$' or '#' or '_' or '{' or '}' => "\\" + c,
                '~' => "\\textasciitilde{}",
                '^' => "\\textasciicircum{}",
                '\\' => "\\textbackslash{}",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
