using Expt.Statistics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace Expt.Core.Tests;

/// <summary>Every statistic against MathNet.Numerics or a hand computation.</summary>
public sealed class StatisticsTests
{
    private const double Tolerance = 1e-9;

    [Theory]
    [InlineData(0.975, 1)]
    [InlineData(0.975, 2)]
    [InlineData(0.975, 4)]
    [InlineData(0.975, 29)]
    [InlineData(0.995, 7.5)]
    [InlineData(0.6, 1000)]
    [InlineData(0.01, 3)]
    public void Student_t_matches_MathNet(double p, double df)
    {
        SpecialFunctions.StudentTInverseCdf(p, df).ShouldBe(StudentT.InvCDF(0, 1, df, p), Tolerance * Math.Max(1, Math.Abs(StudentT.InvCDF(0, 1, df, p))));
        SpecialFunctions.StudentTCdf(1.7, df).ShouldBe(StudentT.CDF(0, 1, df, 1.7), Tolerance);
        SpecialFunctions.StudentTCdf(-0.3, df).ShouldBe(StudentT.CDF(0, 1, df, -0.3), Tolerance);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(-1.96)]
    [InlineData(3.2)]
    public void Normal_cdf_matches_MathNet(double z) => SpecialFunctions.NormalCdf(z).ShouldBe(Normal.CDF(0, 1, z), 1e-12);

    [Fact]
    public void Descriptive_statistics_match_MathNet()
    {
        double[] data = [3.1, 2.7, 4.9, 3.3, 3.0, 8.2, 2.2];
        var d = Descriptive.Of(data);
        d.N.ShouldBe(7);
        d.Mean.ShouldBe(data.Mean(), Tolerance);
        d.Std.ShouldBe(data.StandardDeviation(), Tolerance);
        d.Sem.ShouldBe(data.StandardDeviation() / Math.Sqrt(7), Tolerance);
        var half = StudentT.InvCDF(0, 1, 6, 0.975) * data.StandardDeviation() / Math.Sqrt(7);
        d.CiLow.ShouldBe(data.Mean() - half, Tolerance);
        d.CiHigh.ShouldBe(data.Mean() + half, Tolerance);
        d.Min.ShouldBe(2.2);
        d.Max.ShouldBe(8.2);
        d.Median.ShouldBe(data.Median(), Tolerance);
        Descriptive.Quantile([.. data.Order()], 0.9).ShouldBe(data.QuantileCustom(0.9, QuantileDefinition.R7), Tolerance);
    }

    [Fact]
    public void Edge_cases_n1_n2_and_nan()
    {
        var one = Descriptive.Of([5.0]);
        (one.N, one.Mean, one.Min, one.Median, one.Max).ShouldBe((1, 5.0, 5.0, 5.0, 5.0));
        double.IsNaN(one.Std).ShouldBeTrue();
        double.IsNaN(one.CiLow).ShouldBeTrue();

        // n = 2 by hand: mean 2, std sqrt(2), sem 1, t(0.975, 1) = 12.7062047361747.
        var two = Descriptive.Of([1.0, 3.0]);
        two.Std.ShouldBe(Math.Sqrt(2), Tolerance);
        two.Sem.ShouldBe(1, Tolerance);
        two.CiHigh.ShouldBe(2 + 12.706204736174707, 1e-9);
        two.Median.ShouldBe(2);

        var withNan = Descriptive.Of([1.0, double.NaN, 3.0]);
        withNan.N.ShouldBe(2);
        withNan.NonFinite.ShouldBe(1);
        withNan.Mean.ShouldBe(2);
        Descriptive.Of([]).N.ShouldBe(0);
    }

    [Fact]
    public void Welch_test_matches_a_direct_computation()
    {
        double[] a = [20.1, 22.3, 19.8, 21.4, 23.0, 20.9];
        double[] b = [18.2, 19.1, 17.9, 18.8, 20.2];
        var c = GroupComparison.Of(a, b);
        var (va, vb) = (a.Variance() / a.Length, b.Variance() / b.Length);
        var df = (va + vb) * (va + vb) / ((va * va / (a.Length - 1)) + (vb * vb / (b.Length - 1)));
        var t = (a.Mean() - b.Mean()) / Math.Sqrt(va + vb);
        c.Difference.ShouldBe(a.Mean() - b.Mean(), Tolerance);
        c.WelchDf.ShouldBe(df, Tolerance);
        c.WelchT.ShouldBe(t, Tolerance);
        c.WelchP.ShouldBe(2 * (1 - StudentT.CDF(0, 1, df, Math.Abs(t))), 1e-9);
        var half = StudentT.InvCDF(0, 1, df, 0.975) * Math.Sqrt(va + vb);
        c.CiLow.ShouldBe(c.Difference - half, 1e-9);
        c.CiHigh.ShouldBe(c.Difference + half, 1e-9);
    }

    [Fact]
    public void Mann_whitney_matches_a_hand_computation()
    {
        // x all below y: U = 0; mean 4.5; variance 3*3/12*7 = 5.25; z = (0 - 4.5 + 0.5)/sqrt(5.25).
        var c = GroupComparison.Of([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
        c.MannWhitneyU.ShouldBe(0);
        var z = -4 / Math.Sqrt(5.25);
        c.MannWhitneyZ.ShouldBe(z, Tolerance);
        c.MannWhitneyP.ShouldBe(2 * (1 - Normal.CDF(0, 1, Math.Abs(z))), 1e-12);

        // Ties: x = [1, 2, 2], y = [2, 3]: ranks 1, 3, 3 | 3, 5 → U = 7 - 6 = 1; tie group of 3 → variance 6/12*(6 - 24/20) = 2.4.
        var tied = GroupComparison.Of([1.0, 2.0, 2.0], [2.0, 3.0]);
        tied.MannWhitneyU.ShouldBe(1);
        tied.MannWhitneyZ.ShouldBe((1 - 3 + 0.5) / Math.Sqrt(2.4), Tolerance);
    }
}
