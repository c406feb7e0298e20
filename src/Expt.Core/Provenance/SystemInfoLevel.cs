namespace Expt.Provenance;

/// <summary>How much of the machine and environment is recorded with a study (<c>system_info:</c>).</summary>
public enum SystemInfoLevel
{
    /// <summary>Only the Expt version and the time.</summary>
    None,

    /// <summary>Host, OS, CPU, cores, memory, .NET, the command line, the resolved config and git (commit, branch, patch).</summary>
    Basic,

    /// <summary>Basic, plus GPU names and selected environment variables (secrets redacted).</summary>
    Full,
}
