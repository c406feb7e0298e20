using Expt.Spec;
using Expt.Statistics;

namespace Expt.Analysis;

/// <summary>
/// The values of an array result pooled across the replications of one group into one distribution (ORruns'
/// "distributions"): its statistics and quantiles.
/// </summary>
/// <param name="Key">The group's parameter values.</param>
/// <param name="Metric">The result name.</param>
/// <param name="Trials">Completed trials of the group that reported the array.</param>
/// <param name="Stats">Statistics of the pooled finite values.</param>
/// <param name="Quantiles">Quantile → value (5%, 25%, 50%, 75%, 95%).</param>
public sealed record PooledSummary(ParamSet Key, string Metric, int Trials, Descriptive Stats, IReadOnlyList<(double Q, double Value)> Quantiles);
