namespace Expt;

/// <summary>
/// Marks a public static method without parameters that returns an <see cref="ExperimentDefinition"/> built with the
/// fluent API, so <see cref="ExperimentCatalog.FromAssembly"/> finds it beside the <see cref="ExperimentAttribute"/> classes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ExperimentProviderAttribute : Attribute
{
}
