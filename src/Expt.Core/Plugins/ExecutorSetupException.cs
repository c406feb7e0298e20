namespace Expt.Plugins;

/// <summary>A study's executor cannot be made (an unknown kind, a missing option): one line for users.</summary>
public sealed class ExecutorSetupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExecutorSetupException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutorSetupException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutorSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
