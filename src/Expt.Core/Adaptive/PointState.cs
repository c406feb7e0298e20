namespace Expt.Adaptive;

/// <summary>Where an adaptive point ended (or stands): recorded once, in the store, when it is decided.</summary>
public enum PointState
{
    /// <summary>Sequential stopping: the rule was met.</summary>
    Precise,

    /// <summary>Sequential stopping: <c>max</c> replicates were run before the rule was met.</summary>
    MaxReached,

    /// <summary>No replicate of the point completed (each failed for good).</summary>
    Failed,

    /// <summary>Racing: statistically worse than the best; its replicates stop.</summary>
    Eliminated,

    /// <summary>Racing: still in when the race ended (the only one left, or every survivor at <c>max_replications</c>).</summary>
    Survivor,
}
