namespace Expt.Storage;

/// <summary>
/// A store that is one file on this machine (SQLite): its outcome spool goes beside it, on the disk that may fill.
/// An optional capability, asked for with <see cref="IExptStore.GetCapability{T}"/>.
/// </summary>
public interface ILocalStoreFile
{
    /// <summary>The store file's full path.</summary>
    string Path { get; }
}
