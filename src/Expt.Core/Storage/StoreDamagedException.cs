namespace Expt.Storage;

/// <summary>
/// The store's file is damaged (the database engine found it malformed, or an integrity check failed). Nothing more is
/// written to it by this process; the message says what was found and what to do.
/// </summary>
public sealed class StoreDamagedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreDamagedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreDamagedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreDamagedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The store (a path), for the message.</summary>
    public string? Store { get; init; }
}
