namespace Expt.Slurm;

/// <summary>A Slurm command is missing or failed; the message says which and what it printed.</summary>
public sealed class SlurmException : Exception
{
    /// <inheritdoc />
    public SlurmException()
    {
    }

    /// <inheritdoc />
    public SlurmException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public SlurmException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the command ran and failed (rather than being missing).</summary>
    public bool Failed { get; init; }
}
