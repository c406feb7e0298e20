using Expt.Storage;

namespace Expt.Execution;

/// <summary>
/// What a trial process hands back in its directory, read once it has ended, the same for a command and a Python
/// function: step metrics (<c>metrics.jsonl</c>), tags and a note, and its results (<c>results.json</c>), each bounded and
/// checked; a problem is a warning, or, for results that cannot be read, the trial's failure.
/// </summary>
internal static class TrialHandback
{
    /// <summary>The metrics, tags and note, with the problems found (and any given) as the attempt's warnings.</summary>
    public static TrialOutcome Label(TrialOutcome outcome, string dir, DateTimeOffset now, Resources.TrialUsage? usage, params string?[] problems)
    {
        var (metrics, metricProblems) = MetricsFile.Parse(Path.Combine(dir, CommandExecutor.MetricsFileName), now);
        var (tags, note, labelProblems) = TrialLabels.Read(dir);
        var warnings = TrialWarnings.Join([.. metricProblems, .. problems.OfType<string>(), .. labelProblems]);
        return outcome with
        {
            Metrics = metrics,
            Tags = tags,
            Note = note,
            Usage = usage,
            Error = outcome.Status == Trials.TrialStatus.Completed ? warnings : outcome.Error,
        };
    }

    /// <summary>The results file's JSON (null when there is none), or the reason it cannot be kept.</summary>
    public static (string? Json, string? Error) Results(string dir, TrialLimits limits)
    {
        var results = TrialFiles.ReadText(Path.Combine(dir, CommandExecutor.ResultsFile), limits.MaxResultsBytes, out var readError);
        if (readError is not null)
        {
            var hint = readError.Contains("more than the limit", StringComparison.Ordinal) ? " (limits.results in the study file raises it)" : string.Empty;
            return (null, $"{CommandExecutor.ResultsFile}: {readError}{hint}");
        }
        if (string.IsNullOrWhiteSpace(results))
        {
            return (null, null);
        }
        results = ResultsJson.AcceptNonFinite(results);
        return ResultsJson.Validate(results) is { } invalid ? (null, $"{CommandExecutor.ResultsFile}: {invalid}") : (results, null);
    }
}
