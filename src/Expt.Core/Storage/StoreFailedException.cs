namespace Expt.Storage;

/// <summary>
/// The store failed in a way retrying did not mend (a full disk, a corrupt file): the worker stopped, and kept the
/// outcomes it could not record in its spool (<see cref="SpoolPath"/>) for the next run to record.
/// </summary>
public sealed class StoreFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreFailedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Outcomes kept in the spool.</summary>
    public int Kept { get; init; }

    /// <summary>Outcomes that could not be kept anywhere (their trials run again).</summary>
    public int Lost { get; init; }

    /// <summary>The spool file, when there is one.</summary>
    public string? SpoolPath { get; init; }
}
