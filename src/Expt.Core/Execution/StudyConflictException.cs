namespace Expt.Execution;

/// <summary>The study file changed in a way that makes the stored study incompatible with it.</summary>
public sealed class StudyConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StudyConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StudyConflictException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StudyConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
