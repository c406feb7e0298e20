using System.Globalization;
using System.Text.Json;
using Expt.Analysis;
using Expt.Spec;
using Expt.Text;

namespace Expt.Cli.Output;

/// <summary>Renders merged array results: element-wise (mean, std, CI per index) and pooled distributions.</summary>
internal static class ArraySummaryOutput
{
    private static string G(double value) => double.IsFinite(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : "-";

    // A compact view of a long vector: its first values and length, as the run lines show arrays.
    private static string Preview(double[] values) => values.Length <= ArrayPreview.FirstValues + 1
        ? "[" + string.Join(", ", values.Select(G)) + "]"
        : "[" + string.Join(", ", values.Take(ArrayPreview.FirstValues).Select(G)) + $", …] ({values.Length})";

    public static TableData ElementWiseTable(IReadOnlyList<ArraySummary> groups)
    {
        var names = groups.SelectMany(g => g.Key.Names).Distinct(StringComparer.Ordinal).ToList();
        var multi = groups.Select(g => g.Metric).Distinct().Count() > 1;
        var headers = names.Concat(multi ? ["metric"] : []).Concat(["trials", "length", "mean", "std", "mean ± 95% ci"]).ToList();
        var rows = groups.Select(g =>
        {
            var row = names.Select(n => g.Key.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty).ToList();
            if (multi)
            {
                row.Add(g.Metric);
            }
            var halves = g.CiHigh.Zip(g.Mean, (h, m) => h - m).Where(double.IsFinite).ToList();
            row.AddRange([g.Trials.ToString(CultureInfo.InvariantCulture), g.Length.ToString(CultureInfo.InvariantCulture), Preview(g.Mean), Preview(g.Std),
                halves.Count == 0 ? "-" : $"± {G(halves.Average())} on average"]);
            return (IReadOnlyList<string>)row;
        }).ToList();
        var first = names.Count + (multi ? 1 : 0);
        return new TableData(headers, rows) { RightAligned = new HashSet<int> { first, first + 1 } };
    }

    /// <summary>Each group: parameters, metric, kind "elementwise", trials, length, and arrays n, mean, std, ci_low, ci_high (null where undefined).</summary>
    public static void ElementWiseJson(Utf8JsonWriter w, IReadOnlyList<ArraySummary> groups)
    {
        w.WriteStartArray();
        foreach (var g in groups)
        {
            w.WriteStartObject();
            Params(w, g.Key);
            w.WriteString("metric", g.Metric);
            w.WriteString("kind", "elementwise");
            w.WriteNumber("trials", g.Trials);
            w.WriteNumber("length", g.Length);
            w.WriteStartArray("n");
            foreach (var n in g.N)
            {
                w.WriteNumberValue(n);
            }
            w.WriteEndArray();
            Array(w, "mean", g.Mean);
            Array(w, "std", g.Std);
            Array(w, "ci_low", g.CiLow);
            Array(w, "ci_high", g.CiHigh);
            w.WriteNumber("non_finite", g.NonFinite);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static TableData PooledTable(IReadOnlyList<PooledSummary> groups)
    {
        var names = groups.SelectMany(g => g.Key.Names).Distinct(StringComparer.Ordinal).ToList();
        var multi = groups.Select(g => g.Metric).Distinct().Count() > 1;
        var quantiles = ArraySummarizer.Quantiles.Select(QuantileName).ToList();
        var headers = names.Concat(multi ? ["metric"] : []).Concat(["trials", "n", "mean", "std"]).Concat(quantiles).Concat(["non-finite"]).ToList();
        var rows = groups.Select(g =>
        {
            var row = names.Select(n => g.Key.TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty).ToList();
            if (multi)
            {
                row.Add(g.Metric);
            }
            row.AddRange([g.Trials.ToString(CultureInfo.InvariantCulture), g.Stats.N.ToString(CultureInfo.InvariantCulture), G(g.Stats.Mean), G(g.Stats.Std)]);
            row.AddRange(g.Quantiles.Select(q => G(q.Value)));
            row.Add(g.Stats.NonFinite.ToString(CultureInfo.InvariantCulture));
            return (IReadOnlyList<string>)row;
        }).ToList();
        var first = names.Count + (multi ? 1 : 0);
        return new TableData(headers, rows) { RightAligned = Enumerable.Range(first, headers.Count - first).ToHashSet() };
    }

    /// <summary>Each group: parameters, metric, kind "pooled", trials, n, mean, std, min, max, p05..p95, non_finite.</summary>
    public static void PooledJson(Utf8JsonWriter w, IReadOnlyList<PooledSummary> groups)
    {
        w.WriteStartArray();
        foreach (var g in groups)
        {
            w.WriteStartObject();
            Params(w, g.Key);
            w.WriteString("metric", g.Metric);
            w.WriteString("kind", "pooled");
            w.WriteNumber("trials", g.Trials);
            w.WriteNumber("n", g.Stats.N);
            SummaryOutput.Number(w, "mean", g.Stats.Mean);
            SummaryOutput.Number(w, "std", g.Stats.Std);
            SummaryOutput.Number(w, "min", g.Stats.Min);
            SummaryOutput.Number(w, "max", g.Stats.Max);
            foreach (var (q, value) in g.Quantiles)
            {
                SummaryOutput.Number(w, QuantileName(q), value);
            }
            w.WriteNumber("non_finite", g.Stats.NonFinite);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>p05, p25, p50, p75, p95.</summary>
    public static string QuantileName(double q) => "p" + Math.Round(q * 100).ToString("00", CultureInfo.InvariantCulture);

    private static void Params(Utf8JsonWriter w, ParamSet key)
    {
        w.WritePropertyName("params");
        w.WriteRawValue(key.ToFlatJson());
    }

    private static void Array(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                w.WriteNumberValue(v);
            }
            else
            {
                w.WriteNullValue();
            }
        }
        w.WriteEndArray();
    }
}
