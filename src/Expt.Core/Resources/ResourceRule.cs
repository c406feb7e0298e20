using Expt.Expressions;

namespace Expt.Resources;

/// <summary>
/// A rule of <c>resources.when</c>: for the points where <see cref="Where"/> holds, the needs it names replace the
/// study's (<c>- where: model == "large"</c> <c>gpus: 2</c>). Later rules win over earlier ones.
/// </summary>
public sealed record ResourceRule(WhereExpression Where)
{
    public int? Cpus { get; init; }

    public long? MemoryBytes { get; init; }

    public int? GpuMilli { get; init; }

    public long? MemoryLimitBytes { get; init; }

    public int? Priority { get; init; }
}
