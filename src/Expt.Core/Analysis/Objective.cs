namespace Expt.Analysis;

/// <summary>A metric the study is after and which way is better, declared once in the study (<c>objectives:</c>).</summary>
/// <param name="Metric">A result name.</param>
/// <param name="Goal">Which way is better.</param>
public sealed record Objective(string Metric, Goal Goal)
{
    /// <summary>The word used in study files and JSON: <c>minimize</c> or <c>maximize</c>.</summary>
    public string GoalName => Goal == Goal.Minimize ? "minimize" : "maximize";

    /// <summary>Reads <c>minimize</c>, <c>min</c>, <c>maximize</c>, <c>max</c> (any case).</summary>
    public static Goal? ParseGoal(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "minimize" or "minimise" or "min" => Goal.Minimize,
        "maximize" or "maximise" or "max" => Goal.Maximize,
        _ => null,
    };
}
