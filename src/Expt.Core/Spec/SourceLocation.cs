namespace Expt.Spec;

/// <summary>Where a piece of configuration came from: a file and line, or a <c>--set</c> override.</summary>
/// <param name="File">The file name as the user gave it, or <c>--set</c>.</param>
/// <param name="Line">The 1-based line, or 0 when there is none.</param>
public sealed record SourceLocation(string File, int Line)
{
    /// <summary>A location for values given on the command line.</summary>
    public static SourceLocation CommandLine { get; } = new("--set", 0);

    /// <summary>A location for values given in C# code.</summary>
    public static SourceLocation Code { get; } = new("code", 0);

    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}
