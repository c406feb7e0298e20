namespace Expt.Analysis;

/// <summary>Which way a metric is better.</summary>
public enum Goal
{
    /// <summary>Lower is better (loss, error, time).</summary>
    Minimize,

    /// <summary>Higher is better (accuracy, score, reward).</summary>
    Maximize,
}
