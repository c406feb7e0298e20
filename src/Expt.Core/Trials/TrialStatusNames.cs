namespace Expt.Trials;

/// <summary>The lower-case names statuses have in the store, the CLI and JSON.</summary>
public static class TrialStatusNames
{
    /// <summary>The lower-case name.</summary>
    public static string ToName(this TrialStatus status) => status switch
    {
        TrialStatus.Pending => "pending",
        TrialStatus.Running => "running",
        TrialStatus.Completed => "completed",
        TrialStatus.Failed => "failed",
        TrialStatus.Timeout => "timeout",
        TrialStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Parses a lower-case name.</summary>
    public static bool TryParse(string? name, out TrialStatus status)
    {
        foreach (var candidate in Enum.GetValues<TrialStatus>())
        {
            if (string.Equals(candidate.ToName(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }

    /// <summary>Parses a lower-case name or throws.</summary>
    public static TrialStatus Parse(string name) =>
        TryParse(name, out var status) ? status : throw new FormatException($"unknown status '{name}'; expected pending, running, completed, failed, timeout or cancelled");

    /// <summary>
    /// Parses a comma-separated list of names (<c>failed,timeout</c>), as <c>--status</c> and the dashboard take it;
    /// empty for no text. Throws <see cref="FormatException"/> naming an unknown status.
    /// </summary>
    public static IReadOnlyList<TrialStatus> ParseList(string? text)
    {
        var statuses = new List<TrialStatus>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var status = Parse(part);
            if (!statuses.Contains(status))
            {
                statuses.Add(status);
            }
        }
        return statuses;
    }
}
