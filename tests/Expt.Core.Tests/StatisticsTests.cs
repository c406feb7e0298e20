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
        // No ties, small groups: the exact distribution, 2 of the 20 orderings are as extreme.
        c.MannWhitneyP.ShouldBe(0.1, 1e-12);
        c.MannWhitneyMethod.ShouldBe(GroupComparison.Exact);

        // Ties: x = [1, 2, 2], y = [2, 3]: ranks 1, 3, 3 | 3, 5 → U = 7 - 6 = 1; tie group of 3 → variance 6/12*(6 - 24/20) = 2.4.
        var tied = GroupComparison.Of([1.0, 2.0, 2.0], [2.0, 3.0]);
        tied.MannWhitneyU.ShouldBe(1);
        tied.MannWhitneyZ.ShouldBe((1 - 3 + 0.5) / Math.Sqrt(2.4), Tolerance);
        tied.MannWhitneyP.ShouldBe(2 * (1 - Normal.CDF(0, 1, Math.Abs(tied.MannWhitneyZ))), 1e-12);
        tied.MannWhitneyMethod.ShouldBe(GroupComparison.NormalApproximation);
    }

    // Reference values from scipy 1.10.1: stats.mannwhitneyu(x, y, method="exact") and stats.ttest_ind(x, y,
    // equal_var=False). The last case has groups of 30 and 40, still exact (R's rule: both below 50).
    public static TheoryData<double[], double[], double, double, double, double> ScipyCases => new()
    {
        { [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], 0.0, 0.1, -3.6742346141747673, 0.021311641128756727 },
        { [13.32, 8.1, 15.2, 11.7, 17.9], [8.8, 6.2, 10.4, 9.9, 5.1], 22.0, 0.05555555555555555, 2.6493773145746164, 0.03409492313640626 },
        { [0.31, 0.52, 0.11, 0.84, 0.27, 0.66, 0.45], [0.72, 0.93, 0.58, 0.81, 0.99, 0.64], 6.0, 0.03496503496503496, -2.852443690806803, 0.01660542535269266 },
        {
            [0.00123, 0.298746, -0.274138, -0.890592, -0.454671, -0.991647, 0.060144, 1.340215, -0.492207, -0.620475, 0.489842, 0.356887],
            [0.905414, -0.130468, 0.770748, 1.495303, -0.544215, 0.342384, -1.101223, -0.489538, -1.041735, 0.564909, -0.467446, 1.071264, 0.956751, 0.613069, -1.71676],
            76.0, 0.5163649500168548, -0.581377765042971, 0.5662627718267603
        },
        {
            [-0.538693, -0.048501, 0.113309, -1.530136, -0.477753, -0.978519, -0.808837, 1.060899, -0.807535, -0.032522, 0.88439, -0.5836, -0.111702, 0.110464, 0.063782, -1.225056, 0.07614, 1.358823, -1.547145, 0.859383, 0.119354, -0.64147, 2.000417, 0.76226, -1.199289, 0.074516, 0.57669, -0.188782, 0.68291, -0.066517],
            [0.967248, 1.738523, -0.375662, 0.503139, -0.163308, 0.427268, -0.887195, -0.279302, 0.103804, 1.198764, 1.445222, -1.023528, -0.494642, 0.946903, -1.69242, -0.16317, 0.202713, 1.557015, 0.989404, -0.027213, -0.068576, 0.049805, 1.823529, -0.128025, -0.00368, 0.652589, 0.17923, 0.102716, -0.814067, 0.288479, -0.143581, 1.466128, 0.953089, 0.275856, 0.968381, -0.03987, 1.352126, 0.2946, 0.883382, -0.990893],
            449.0, 0.07395718124828586, -1.8275338943630683, 0.0724909183066031
        },
    };

    [Theory]
    [MemberData(nameof(ScipyCases))]
    public void Welch_and_exact_mann_whitney_agree_with_scipy_to_twelve_digits(double[] a, double[] b, double u, double pExact, double t, double pWelch)
    {
        var c = GroupComparison.Of(a, b);
        c.MannWhitneyU.ShouldBe(u);
        c.MannWhitneyMethod.ShouldBe(GroupComparison.Exact);
        c.MannWhitneyP.ShouldBe(pExact, pExact * 1e-12);
        c.WelchT.ShouldBe(t, Math.Abs(t) * 1e-12);
        c.WelchP.ShouldBe(pWelch, pWelch * 1e-11);
    }

    [Fact]
    public void Fifty_or_more_values_use_the_normal_approximation()
    {
        var a = Enumerable.Range(0, 50).Select(i => (double)i).ToArray();
        var b = Enumerable.Range(0, 50).Select(i => i + 20.5).ToArray();
        GroupComparison.Of(a, b).MannWhitneyMethod.ShouldBe(GroupComparison.NormalApproximation);
        GroupComparison.Of(a[..49], b[..49]).MannWhitneyMethod.ShouldBe(GroupComparison.Exact);
    }

    // scipy 1.10.1: stats.ttest_rel(a, b) and its confidence_interval(0.95).
    [Theory]
    [InlineData(new[] { 13.32, 8.1, 15.2, 11.7, 17.9 }, new[] { 8.8, 6.2, 10.4, 9.9, 5.1 }, 2.568774036978007, 0.06205918157519833, -0.4174806272756584, 10.745480627275658)]
    [InlineData(new[] { 0.31, 0.52, 0.11, 0.84, 0.27, 0.66, 0.45 }, new[] { 0.72, 0.93, 0.58, 0.81, 0.99, 0.64, 0.5 }, -2.626086444545334, 0.03926481492551674, -0.5546943160440514, -0.019591398241663005)]
    public void Paired_t_agrees_with_scipy(double[] a, double[] b, double t, double p, double low, double high)
    {
        var c = PairedComparison.Of(a.Zip(b));
        c.N.ShouldBe(a.Length);
        c.T.ShouldBe(t, Math.Abs(t) * 1e-12);
        c.P.ShouldBe(p, p * 1e-10);
        // The interval goes through the t quantile (an inverse by iteration): agreed to 8 digits of its width.
        c.CiLow.ShouldBe(low, (high - low) * 1e-8);
        c.CiHigh.ShouldBe(high, (high - low) * 1e-8);
    }
}
