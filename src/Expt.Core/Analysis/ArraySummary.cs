using Expt.Spec;

namespace Expt.Analysis;

/// <summary>
/// An array result merged across the replications of one group, element by element (ORruns' "arrays"): at each
/// index the mean, standard deviation and 95% confidence interval over the trials that have that index.
/// </summary>
/// <param name="Key">The group's parameter values.</param>
/// <param name="Metric">The result name.</param>
/// <param name="Trials">Completed trials of the group that reported the array.</param>
/// <param name="N">Finite values at each index (arrays of unequal length give fewer at the end).</param>
/// <param name="Mean">Mean at each index (NaN where no value).</param>
/// <param name="Std">Sample standard deviation at each index (NaN with fewer than two values).</param>
/// <param name="CiLow">Lower end of the 95% CI of the mean at each index.</param>
/// <param name="CiHigh">Upper end of the 95% CI of the mean at each index.</param>
/// <param name="NonFinite">NaN, infinite or non-numeric elements left out.</param>
public sealed record ArraySummary(ParamSet Key, string Metric, int Trials, int[] N, double[] Mean, double[] Std, double[] CiLow, double[] CiHigh, int NonFinite)
{
    /// <summary>The length of the longest array of the group.</summary>
    public int Length => Mean.Length;
}
