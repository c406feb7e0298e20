using Expt.Analysis;
using Expt.Charts;
using Expt.Spec;

namespace Expt.Core.Tests;

public sealed class CurveTests
{
    [Fact]
    public void Curves_are_aggregated_by_step_not_by_position()
    {
        var curve = Curve.Aggregate(ParamSet.Empty, "loss",
        [
            [(0, 1.0), (10, 3.0), (20, 5.0)],
            [(10, 5.0), (20, double.NaN), (30, 7.0)],
        ]);
        curve.Steps.ShouldBe([0L, 10, 20, 30]);
        curve.Mean.ShouldBe([1.0, 4.0, 5.0, 7.0]);
        curve.N.ShouldBe([1, 2, 1, 1]);
        curve.Std[1].ShouldBe(Math.Sqrt(2), 1e-12);
        double.IsNaN(curve.Std[0]).ShouldBeTrue();
    }

    [Fact]
    public void Svg_charts_draw_one_series_per_group_and_thin_long_curves()
    {
        var many = Enumerable.Range(0, 100_000).Select(i => ((long)i, 1.0 / (i + 1))).ToList();
        var a = Curve.Aggregate(new ParamSet([new("lr", 0.1m)]), "loss", [many, many]);
        var b = Curve.Aggregate(new ParamSet([new("lr", 0.01m)]), "loss", [many]);
        var svg = SvgChart.Curves([a, b], "t <&>");
        svg.ShouldStartWith("<svg xmlns=\"http://www.w3.org/2000/svg\"");
        svg.ShouldContain("t &lt;&amp;&gt;");
        System.Text.RegularExpressions.Regex.Matches(svg, "<polyline").Count.ShouldBe(2);
        var points = System.Text.RegularExpressions.Regex.Match(svg, "<polyline points=\"([^\"]*)\"").Groups[1].Value.Split(' ');
        points.Length.ShouldBe(SvgChart.MaxPointsPerCurve);
        System.Xml.Linq.XDocument.Parse(svg).Root!.Name.LocalName.ShouldBe("svg");
    }
}
