namespace Expt.Cli;

/// <summary>The exit codes of <c>expt</c>, documented in docs/cli.md.</summary>
public static class ExitCodes
{
    /// <summary>Everything worked; every trial run completed.</summary>
    public const int Success = 0;

    /// <summary>The command ran, but some trials failed or timed out.</summary>
    public const int TrialsFailed = 1;

    /// <summary>Bad input: a study file, an option, an expression. Nothing was written to the store.</summary>
    public const int UsageError = 2;

    /// <summary>A study or trial named on the command line does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>The store could not be opened or written.</summary>
    public const int StoreError = 4;

    /// <summary>Trials this run or worker was running were cancelled from outside (<c>expt cancel</c>, the dashboard).</summary>
    public const int Cancelled = 5;

    /// <summary>Interrupted by Ctrl+C or a termination signal; interrupted trials are cancelled and resume on the next run.</summary>
    public const int Interrupted = 130;
}
