namespace Expt.Mpi;

/// <summary>MPI cannot be used here: no library, or one without the thread support Expt needs.</summary>
public sealed class MpiUnavailableException : Exception
{
    /// <inheritdoc />
    public MpiUnavailableException()
    {
    }

    /// <inheritdoc />
    public MpiUnavailableException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public MpiUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
