using System.CommandLine;
using Expt.Execution;
using Expt.Spec;

namespace Expt.Cli;

/// <summary><c>--lease</c> and <c>--heartbeat</c>, shared by the commands that run trials.</summary>
internal sealed class LeaseOptions
{
    /// <summary>Bytes per file copied into a PostgreSQL store when no shared --artifacts directory is given.</summary>
    public const long StoredFileLimit = 1L << 20;

    public Option<string?> Lease { get; } = new("--lease")
    {
        Description = "How long a claimed trial stays reserved without a heartbeat before other workers may take it (default 30s)",
    };

    public Option<string?> Heartbeat { get; } = new("--heartbeat")
    {
        Description = "How often leases are renewed (default 10s; must be shorter than --lease)",
    };

    /// <summary>The shortest lease or heartbeat: shorter ones would spend the store's time renewing leases.</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromMilliseconds(100);

    public IEnumerable<Option> All => [Lease, Heartbeat];

    /// <summary>Applies the options (and where trial files go) to <paramref name="options"/>.</summary>
    public WorkerOptions Apply(WorkerOptions options, ParseResult parseResult, bool keepFilesInStore)
    {
        var lease = Duration(parseResult.GetValue(Lease), "--lease") ?? options.Lease;
        var heartbeat = Duration(parseResult.GetValue(Heartbeat), "--heartbeat") ?? (lease < options.Lease ? lease / 3 : options.Heartbeat);
        if (heartbeat >= lease)
        {
            throw new UserException($"--heartbeat ({DurationParser.Format(heartbeat)}) must be shorter than --lease ({DurationParser.Format(lease)}), or leases run out between beats");
        }
        return options with
        {
            Lease = lease,
            Heartbeat = heartbeat,
            PollInterval = heartbeat < options.PollInterval ? heartbeat : options.PollInterval,
            KeepFilesUpTo = keepFilesInStore ? StoredFileLimit : null,
        };
    }

    private static TimeSpan? Duration(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }
        return DurationParser.TryParse(text, out var value) && value >= MinDuration && value <= InputLimits.MaxDuration
            ? value
            : throw new UserException($"{name}: '{InputLimits.Quote(text)}' is not a duration from {DurationParser.Format(MinDuration)} to {DurationParser.Format(InputLimits.MaxDuration)}; expected e.g. 500ms, 30s, 5m");
    }
}
