namespace Expt.Storage;

/// <summary>A small file of a trial kept in the store (a log or an artifact), readable from any machine.</summary>
/// <param name="Path">Path relative to the trial's directory, with '/' separators.</param>
/// <param name="Content">The bytes.</param>
public sealed record TrialFile(string Path, ReadOnlyMemory<byte> Content);
