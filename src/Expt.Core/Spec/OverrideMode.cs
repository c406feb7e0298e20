namespace Expt.Spec;

/// <summary>How <see cref="ConfigOverrides"/> treats <c>key=value</c> for a key the study does not have.</summary>
public enum OverrideMode
{
    /// <summary>An error with a suggestion: a study file or a C# experiment declares its keys and parameters.</summary>
    Strict,

    /// <summary>A new parameter: a study made of a command and <c>--set</c> sweeps has nothing to check against.</summary>
    Open,
}
