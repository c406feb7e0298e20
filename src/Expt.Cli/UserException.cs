namespace Expt.Cli;

/// <summary>A problem to tell the user in one line, with an exit code; never shown with a stack trace.</summary>
internal sealed class UserException(string message, int exitCode = ExitCodes.UsageError) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
