namespace Expt.Storage;

/// <summary>
/// An optional capability of a store: a full check of its own structure (a SQLite file's pages and indexes), asked for
/// by <c>expt doctor</c>. A store without one is checked through its rows only.
/// </summary>
public interface IIntegrityCheck
{
    /// <summary>Checks the whole store; the problems found (empty when healthy), at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<string>> CheckIntegrityAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>The store was marked damaged by an earlier check or error (and is refused for that); null when not.</summary>
    string? DamageMark { get; }

    /// <summary>Removes the damage mark, once a full check found the store healthy again.</summary>
    void ClearDamageMark();
}
