using System.Globalization;
using System.Net;
using System.Text;
using Expt.Analysis;

namespace Expt.Charts;

/// <summary>
/// Self-contained SVG charts: step-metric curves with a mean ± std band per group, and bars of a final metric per
/// group with 95% confidence intervals and the individual values. No fonts or scripts to fetch.
/// </summary>
public static class SvgChart
{
    private const int Width = 940, Height = 520, Left = 70, Right = 300, Top = 40, Bottom = 90;

    /// <summary>Colors that stay distinguishable for common color-vision deficiencies (Okabe-Ito).</summary>
    public static readonly IReadOnlyList<string> Palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

    /// <summary>The most points drawn per curve; longer curves are thinned evenly (the band keeps its shape).</summary>
    public const int MaxPointsPerCurve = 1500;

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Label(double v) => Math.Abs(v) >= 1e5 || (Math.Abs(v) < 1e-3 && v != 0) ? v.ToString("0.##E0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Curves of one metric, one per group.</summary>
    public static string Curves(IReadOnlyList<Curve> curves, string title, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var all = curves.SelectMany(c => c.Steps.Select((s, i) => (Step: (double)s, Lo: Lo(c, i, logY), Hi: Hi(c, i)))).ToList();
        if (all.Count == 0)
        {
            throw new ArgumentException("no points to plot", nameof(curves));
        }
        double Y(double v) => logY ? Math.Log10(Math.Max(v, double.Epsilon)) : v;
        var (x0, x1) = Range(all.Select(a => a.Step));
        var (y0, y1) = Range(all.SelectMany(a => new[] { Y(a.Lo), Y(a.Hi) }).Where(double.IsFinite));
        var sb = Begin(title);
        Axes(sb, x0, x1, y0, y1, "step", curves[0].Metric + (logY ? " (log10)" : string.Empty));
        for (var g = 0; g < curves.Count; g++)
        {
            var c = curves[g];
            var color = Palette[g % Palette.Count];
            var keep = Thin(c.Steps.Length);
            string P(int i, double v) => $"{F(Sx(c.Steps[i], x0, x1))},{F(Sy(Y(v), y0, y1))}";
            var band = keep.Where(i => !double.IsNaN(c.Std[i])).ToList();
            if (band.Count > 1)
            {
                var points = band.Select(i => P(i, Hi(c, i))).Concat(Enumerable.Reverse(band).Select(i => P(i, Lo(c, i, logY))));
                sb.Append($"<polygon points=\"{string.Join(' ', points)}\" fill=\"{color}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n");
            }
            sb.Append($"<polyline points=\"{string.Join(' ', keep.Select(i => P(i, c.Mean[i])))}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            Legend(sb, g, color, $"{c.Key} (n={c.N.DefaultIfEmpty().Max()})");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>One bar per group: the mean, its 95% confidence interval, and every value as a dot.</summary>
    public static string Bars(IReadOnlyList<(GroupSummary Summary, IReadOnlyList<double> Values)> groups, string title)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
        {
            throw new ArgumentException("no groups to plot", nameof(groups));
        }
        var extremes = groups.SelectMany(g => g.Values.Concat([g.Summary.Stats.CiLow, g.Summary.Stats.CiHigh, 0.0])).Where(double.IsFinite).ToList();
        var (y0, y1) = Range(extremes);
        var sb = Begin(title);
        Axes(sb, double.NaN, double.NaN, y0, y1, string.Empty, groups[0].Summary.Metric);
        var slot = (Width - Left - Right) / (double)groups.Count;
        for (var g = 0; g < groups.Count; g++)
        {
            var (summary, values) = groups[g];
            var color = Palette[g % Palette.Count];
            var cx = Left + (slot * (g + 0.5));
            var barWidth = Math.Min(60, slot * 0.6);
            var stats = summary.Stats;
            if (stats.N > 0)
            {
                var top = Sy(Math.Max(stats.Mean, 0), y0, y1);
                var baseline = Sy(Math.Min(stats.Mean, 0), y0, y1);
                sb.Append($"<rect x=\"{F(cx - (barWidth / 2))}\" y=\"{F(top)}\" width=\"{F(barWidth)}\" height=\"{F(Math.Max(1, baseline - top))}\" fill=\"{color}\" fill-opacity=\"0.55\"/>\n");
                if (double.IsFinite(stats.CiLow))
                {
                    sb.Append($"<line x1=\"{F(cx)}\" x2=\"{F(cx)}\" y1=\"{F(Sy(stats.CiLow, y0, y1))}\" y2=\"{F(Sy(stats.CiHigh, y0, y1))}\" stroke=\"#222\" stroke-width=\"1.5\"/>\n");
                    foreach (var end in new[] { stats.CiLow, stats.CiHigh })
                    {
                        sb.Append($"<line x1=\"{F(cx - 8)}\" x2=\"{F(cx + 8)}\" y1=\"{F(Sy(end, y0, y1))}\" y2=\"{F(Sy(end, y0, y1))}\" stroke=\"#222\" stroke-width=\"1.5\"/>\n");
                    }
                }
            }
            for (var i = 0; i < values.Count; i++)
            {
                var jitter = ((i * 37 % 11) - 5) * barWidth / 30;
                sb.Append($"<circle cx=\"{F(cx + jitter)}\" cy=\"{F(Sy(values[i], y0, y1))}\" r=\"3\" fill=\"#222\" fill-opacity=\"0.6\"/>\n");
            }
            // Values only under the bars, slanted so long labels never collide; the legend names the parameters.
            var label = WebUtility.HtmlEncode(string.Join(", ", summary.Key.Select(p => Spec.ParamValues.Format(p.Value))));
            var ly = Height - Bottom + 14;
            sb.Append($"<text x=\"{F(cx)}\" y=\"{ly}\" transform=\"rotate(-30 {F(cx)} {ly})\" text-anchor=\"end\" font-size=\"11\">{label}</text>\n");
            Legend(sb, g, color, $"{summary.Key}: {Label(stats.Mean)}");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    // On a log axis a band reaching zero or below is drawn down to a tenth of the mean instead of to minus infinity.
    private static double Lo(Curve c, int i, bool logY)
    {
        var lo = double.IsNaN(c.Std[i]) ? c.Mean[i] : c.Mean[i] - c.Std[i];
        return logY && lo <= 0 ? c.Mean[i] / 10 : lo;
    }

    private static double Hi(Curve c, int i) => double.IsNaN(c.Std[i]) ? c.Mean[i] : c.Mean[i] + c.Std[i];

    private static List<int> Thin(int count)
    {
        if (count <= MaxPointsPerCurve)
        {
            return Enumerable.Range(0, count).ToList();
        }
        var step = (double)(count - 1) / (MaxPointsPerCurve - 1);
        return Enumerable.Range(0, MaxPointsPerCurve).Select(i => (int)Math.Round(i * step)).Distinct().ToList();
    }

    private static (double, double) Range(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0)
        {
            return (0, 1);
        }
        var (lo, hi) = (list.Min(), list.Max());
        if (lo == hi)
        {
            (lo, hi) = (lo - 1, hi + 1);
        }
        var pad = (hi - lo) * 0.05;
        return (lo - pad, hi + pad);
    }

    private static double Sx(double x, double x0, double x1) => Left + ((x - x0) / (x1 - x0) * (Width - Left - Right));

    private static double Sy(double y, double y0, double y1) => Height - Bottom - ((y - y0) / (y1 - y0) * (Height - Top - Bottom));

    private static StringBuilder Begin(string title)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n");
        sb.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{Left}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>\n");
        return sb;
    }

    private static void Axes(StringBuilder sb, double x0, double x1, double y0, double y1, string xLabel, string yLabel)
    {
        var plotRight = Width - Right;
        var plotBottom = Height - Bottom;
        sb.Append($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotRight - Left}\" height=\"{plotBottom - Top}\" fill=\"none\" stroke=\"#999\"/>\n");
        foreach (var tick in Ticks(y0, y1))
        {
            var y = F(Sy(tick, y0, y1));
            sb.Append($"<line x1=\"{Left}\" x2=\"{plotRight}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append($"<text x=\"{Left - 6}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\" font-size=\"11\">{Label(tick)}</text>\n");
        }
        if (!double.IsNaN(x0))
        {
            foreach (var tick in Ticks(x0, x1))
            {
                var x = F(Sx(tick, x0, x1));
                sb.Append($"<line x1=\"{x}\" x2=\"{x}\" y1=\"{Top}\" y2=\"{plotBottom}\" stroke=\"#f0f0f0\"/>\n");
                sb.Append($"<text x=\"{x}\" y=\"{plotBottom + 16}\" text-anchor=\"middle\" font-size=\"11\">{Label(tick)}</text>\n");
            }
        }
        sb.Append($"<text x=\"{(Left + plotRight) / 2}\" y=\"{plotBottom + 36}\" text-anchor=\"middle\" font-size=\"12\">{WebUtility.HtmlEncode(xLabel)}</text>\n");
        sb.Append($"<text transform=\"translate(16 {(Top + plotBottom) / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{WebUtility.HtmlEncode(yLabel)}</text>\n");
    }

    private static IEnumerable<double> Ticks(double lo, double hi)
    {
        var raw = (hi - lo) / 6;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (var t = Math.Ceiling(lo / step) * step; t <= hi; t += step)
        {
            yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
        }
    }

    private static void Legend(StringBuilder sb, int index, string color, string text)
    {
        var y = Top + 10 + (index * 20);
        var x = Width - Right + 14;
        sb.Append($"<rect x=\"{x}\" y=\"{y - 9}\" width=\"14\" height=\"10\" fill=\"{color}\"/>\n");
        sb.Append($"<text x=\"{x + 20}\" y=\"{y}\" font-size=\"11\">{WebUtility.HtmlEncode(text.Length > 40 ? text[..39] + "…" : text)}</text>\n");
    }
}
