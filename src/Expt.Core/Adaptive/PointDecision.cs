namespace Expt.Adaptive;

/// <summary>A decision about one point of an adaptive study, as the store keeps it.</summary>
/// <param name="Point">The point's key (the trial key of its replicate 0).</param>
/// <param name="ParamsJson">The point's parameters, as its trials store them.</param>
/// <param name="State">Where the point ended.</param>
/// <param name="Round">The replicate count at which it was decided (a race's round).</param>
/// <param name="Replicates">Completed replicates the decision saw.</param>
/// <param name="PValue">For an eliminated point, the (adjusted) p-value that eliminated it.</param>
/// <param name="Reason">Why, for humans.</param>
/// <param name="Decided">When.</param>
public sealed record PointDecision(string Point, string ParamsJson, PointState State, int Round, int Replicates, double? PValue, string Reason, DateTimeOffset Decided)
{
    /// <summary>The state's name in files, JSON and the store: <c>precise</c>, <c>max_reached</c>, <c>failed</c>, <c>eliminated</c>, <c>survivor</c>.</summary>
    public string StateName => Name(State);

    /// <summary>The stored name of a state.</summary>
    public static string Name(PointState state) => state switch
    {
        PointState.Precise => "precise",
        PointState.MaxReached => "max_reached",
        PointState.Failed => "failed",
        PointState.Eliminated => "eliminated",
        _ => "survivor",
    };

    /// <summary>Reads a stored state name; null for a name this version does not know.</summary>
    public static PointState? Parse(string? name) => name switch
    {
        "precise" => PointState.Precise,
        "max_reached" => PointState.MaxReached,
        "failed" => PointState.Failed,
        "eliminated" => PointState.Eliminated,
        "survivor" => PointState.Survivor,
        _ => null,
    };
}
