using Expt.Text;

namespace Expt.Spec;

/// <summary>
/// The bounds every parser of user input keeps to, so no input, however hostile, can exhaust memory, the stack or
/// time. Each is documented in docs/reliability.md; an input beyond one gets a one-line error naming it.
/// </summary>
public static class InputLimits
{
    /// <summary>The largest study file read.</summary>
    public const int MaxStudyFileBytes = 8 << 20;

    /// <summary>The deepest nesting of YAML collections, brackets in sweep and where expressions, and dotted names.</summary>
    public const int MaxNesting = 64;

    /// <summary>
    /// The most YAML nodes a study file may hold (keys, values, lists and mappings): far more than a hand-written file
    /// has, few enough that a hostile one is refused in a fraction of a second.
    /// </summary>
    public const int MaxNodes = 250_000;

    /// <summary>The most nodes YAML aliases (<c>*name</c>) may expand to in one file ("billion laughs" stop here).</summary>
    public const int MaxAliasNodes = 100_000;

    /// <summary>The longest parameter name, and the most dotted parts in it.</summary>
    public const int MaxNameLength = 128, MaxNameParts = 16;

    /// <summary>The longest parameter value: larger inputs belong in a file whose path is the parameter.</summary>
    public const int MaxValueChars = 32 * 1024;

    /// <summary>The longest command template (Linux takes at most 128 KiB per argument).</summary>
    public const int MaxCommandChars = 128 * 1024;

    /// <summary>The most replicates of one point (a bound on adaptive studies' <c>max</c>).</summary>
    public const int MaxReplicates = 1_000_000;

    /// <summary>The longest where-expression.</summary>
    public const int MaxExpressionChars = 64 * 1024;

    /// <summary>The longest time limit or lease a study or option may ask for.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    /// <summary>The most trials a study may run at once on one machine (<c>parallel</c>, <c>-j</c>).</summary>
    public const int MaxParallel = 4096;

    /// <summary>The default largest results file (<c>EXPT_RESULTS</c>) or C# result of one trial; <c>limits.results</c> changes it.</summary>
    public const long DefaultMaxResultsBytes = 16L << 20;

    /// <summary>The longest line of a metrics file (<c>EXPT_METRICS</c>); a longer one is skipped with a warning.</summary>
    public const int MaxMetricLineBytes = 1 << 20;

    /// <summary>The longest metric name.</summary>
    public const int MaxMetricNameChars = 256;

    /// <summary>The most warnings kept per trial (then a count), and the longest one.</summary>
    public const int MaxWarnings = 20, MaxWarningChars = 1024;

    /// <summary>The most bytes of a rejected value quoted back in a message.</summary>
    public const int MaxQuotedChars = 60;

    /// <summary>Quotes a piece of user input in a message: cut to <see cref="MaxQuotedChars"/>, control characters escaped.</summary>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cut = text.Length > MaxQuotedChars ? text[..MaxQuotedChars] + $"… ({text.Length:N0} characters)" : text;
        return TerminalText.Escape(cut);
    }
}
