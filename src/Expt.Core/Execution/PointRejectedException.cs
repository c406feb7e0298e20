namespace Expt.Execution;

/// <summary>A point to add does not fit its study (an unknown or missing parameter, a value that would run as code).</summary>
public sealed class PointRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PointRejectedException()
    {
    }

    /// <summary>Creates the exception for the parameter <paramref name="parameter"/>.</summary>
    public PointRejectedException(string parameter, string message)
        : base(message) => Parameter = parameter;

    /// <summary>Creates the exception.</summary>
    public PointRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PointRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The parameter the point got wrong, or null.</summary>
    public string? Parameter { get; }
}
