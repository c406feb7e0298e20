namespace Expt.Spec;

/// <summary>One problem in a study definition, reported with everything a user needs to fix it.</summary>
/// <param name="Location">File and line.</param>
/// <param name="Key">The configuration key (dotted path), or empty for the whole file.</param>
/// <param name="Message">What is wrong and what was expected.</param>
public sealed record SpecError(SourceLocation Location, string Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Key.Length == 0 ? $"{Location}: {Message}" : $"{Location}: {Key}: {Message}";
}
