namespace Expt.Storage;

/// <summary>A store could not be opened: a one-line message for users, and why.</summary>
public sealed class StoreOpenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreOpenException(string message, StoreOpenFailure failure, Exception? inner = null)
        : base(message, inner) => Failure = failure;

    /// <summary>Creates the exception (a store that cannot be opened).</summary>
    public StoreOpenException()
        : this("the store cannot be opened", StoreOpenFailure.Unavailable)
    {
    }

    /// <summary>Creates the exception (a store that cannot be opened).</summary>
    public StoreOpenException(string message)
        : this(message, StoreOpenFailure.Unavailable)
    {
    }

    /// <summary>Creates the exception (a store that cannot be opened).</summary>
    public StoreOpenException(string message, Exception innerException)
        : this(message, StoreOpenFailure.Unavailable, innerException)
    {
    }

    /// <summary>Why.</summary>
    public StoreOpenFailure Failure { get; }
}
