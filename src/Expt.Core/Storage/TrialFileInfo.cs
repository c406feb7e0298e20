namespace Expt.Storage;

/// <summary>A file of a trial kept in the store.</summary>
/// <param name="Path">Path relative to the trial's directory, with '/' separators.</param>
/// <param name="Size">Bytes.</param>
public sealed record TrialFileInfo(string Path, long Size);
