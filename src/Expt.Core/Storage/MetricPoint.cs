namespace Expt.Storage;

/// <summary>One point of a step metric.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Step">Step (iteration, epoch...).</param>
/// <param name="Value">Value.</param>
/// <param name="Time">Wall-clock time it was logged.</param>
public readonly record struct MetricPoint(string Name, long Step, double Value, DateTimeOffset Time);
