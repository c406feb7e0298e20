using System.CommandLine;
using Expt.Cli.Output;
using Expt.Spec;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt studies</c>: the studies in the store with their progress.</summary>
internal sealed class StudiesCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt studies",
        "expt studies --format json",
    ];

    public override Command Build()
    {
        var command = new Command("studies", "List studies with their trial counts.");
        command.Options.Add(_format);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var studies = await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false);
        var enqueues = new Dictionary<string, Execution.EnqueueState>(StringComparer.Ordinal);
        foreach (var s in studies)
        {
            if (await Execution.EnqueueProgress.ReadAsync(store, s.Study.Id, s.Total, cancellationToken).ConfigureAwait(false) is { } enqueue)
            {
                enqueues[s.Study.Id] = enqueue;
            }
        }
        var format = parseResult.GetValue(_format);
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartArray();
                foreach (var s in studies)
                {
                    w.WriteStartObject();
                    w.WriteString("id", s.Study.Id);
                    w.WriteString("name", s.Study.Name);
                    w.WriteString("description", s.Study.Description);
                    w.WriteStartArray("tags");
                    foreach (var tag in s.Study.Tags)
                    {
                        w.WriteStringValue(tag);
                    }
                    w.WriteEndArray();
                    w.WriteNumber("seed", s.Study.Seed);
                    TrialJson.WriteTime(w, "created", s.Study.Created);
                    w.WriteNumber("total", s.Total);
                    w.WriteStartObject("counts");
                    foreach (var status in Enum.GetValues<TrialStatus>())
                    {
                        w.WriteNumber(status.ToName(), s.Count(status));
                    }
                    w.WriteEndObject();
                    StudyStatus.WriteEnqueue(w, enqueues.GetValueOrDefault(s.Study.Id));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return ExitCodes.Success;
        }
        var rows = studies.Select(s => (IReadOnlyList<string>)
        [
            s.Study.Name,
            string.Join(',', s.Study.Tags),
            s.Total.ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Count(TrialStatus.Completed).ToString(System.Globalization.CultureInfo.InvariantCulture),
            (s.Count(TrialStatus.Failed) + s.Count(TrialStatus.Timeout)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Count(TrialStatus.Running).ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Count(TrialStatus.Pending).ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Count(TrialStatus.Cancelled).ToString(System.Globalization.CultureInfo.InvariantCulture),
            s.Study.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            s.FirstStarted is { } a && s.LastFinished is { } b && b > a ? DurationParser.Format(b - a) : "-",
        ]).ToList();
        TableRenderer.Write(Env, new TableData(["study", "tags", "trials", "completed", "failed", "running", "pending", "cancelled", "created", "span"], rows) {
            RightAligned = new HashSet<int> { 2, 3, 4, 5, 6, 7 },
            // A narrow terminal keeps the name and the counts; the date, span and tags go first.
            Priority = [1000, 300, 900, 850, 800, 750, 700, 650, 400, 500],
            Shrinkable = new HashSet<int> { 1 },
        }, format);
        if (format == OutputFormat.Table && studies.Count == 0)
        {
            Env.Error.WriteLine("no studies yet; run one with: expt run FILE");
        }
        foreach (var s in studies.Where(s => enqueues.ContainsKey(s.Study.Id)))
        {
            // A study whose trials are not all there is not what it looks like: said under the table.
            Env.Error.WriteLine($"warning: {s.Study.Name}: {enqueues[s.Study.Id]}");
        }
        return ExitCodes.Success;
    }
}
