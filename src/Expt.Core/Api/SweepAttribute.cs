namespace Expt;

/// <summary>A parameter property given by a sweep or distribution expression, e.g. <c>[Sweep("logspace(-4, -1, 4)")]</c>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class SweepAttribute : Attribute
{
    public SweepAttribute(string expression) => Expression = expression;

    public string Expression { get; }

    /// <summary>The parameter name; by default the member name in camelCase.</summary>
    public string? Name { get; set; }
}
