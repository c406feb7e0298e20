namespace Expt;

/// <summary>The values a parameter property takes, like BenchmarkDotNet's <c>[Params]</c>: one is fixed, several are a grid axis.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class ParamsAttribute : Attribute
{
    public ParamsAttribute(params object?[] values) => Values = values ?? [null];

    public IReadOnlyList<object?> Values { get; }

    /// <summary>The parameter name; by default the member name in camelCase.</summary>
    public string? Name { get; set; }
}
