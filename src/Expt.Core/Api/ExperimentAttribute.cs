namespace Expt;

/// <summary>
/// Marks a class as an experiment. Its public properties with <see cref="ParamsAttribute"/> or
/// <see cref="SweepAttribute"/> are the parameters (named in camelCase), set on a fresh instance for every trial;
/// its public <c>Run</c> method (taking a <see cref="Trial"/> or nothing, returning results, a Task or void) is the body.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExperimentAttribute : Attribute
{
    /// <summary>Names the experiment; by default the class name in kebab-case.</summary>
    public ExperimentAttribute(string? name = null) => Name = name;

    public string? Name { get; }

    /// <summary>Runs of each parameter point.</summary>
    public int Replications { get; set; } = 1;

    public long Seed { get; set; }

    /// <summary>Worker slots; 0 for one per core.</summary>
    public int Parallel { get; set; }

    /// <summary>Per-trial time limit in seconds; 0 for none.</summary>
    public double TimeoutSeconds { get; set; }

    /// <summary>Extra attempts after a failure.</summary>
    public int Retries { get; set; }

    /// <summary>Random draws per grid point.</summary>
    public int Samples { get; set; }

    /// <summary>Keeps only the points for which this expression is true.</summary>
    public string? Where { get; set; }
}
