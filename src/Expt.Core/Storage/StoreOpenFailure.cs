namespace Expt.Storage;

/// <summary>Why a store could not be opened, which decides the exit code a command gives.</summary>
public enum StoreOpenFailure
{
    /// <summary>The location is not one the provider can use (a directory for a file, a bad URL).</summary>
    BadLocation,

    /// <summary>No store is there, and the caller asked for an existing one.</summary>
    NotFound,

    /// <summary>The store is there but cannot be opened or reached (damaged, refused, unreachable).</summary>
    Unavailable,
}
