namespace Expt.Storage;

/// <summary>
/// The store is not one this Expt may use, and nothing was written to it: its schema is newer than this Expt knows, or
/// the database (or PostgreSQL schema) belongs to another program, or is one of the server's own.
/// </summary>
public sealed class StoreIncompatibleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreIncompatibleException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreIncompatibleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreIncompatibleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the user named the wrong thing (another program's database): a usage error, not a store fault.</summary>
    public bool WrongTarget { get; init; }
}
