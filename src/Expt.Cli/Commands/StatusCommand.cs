using System.CommandLine;
using Expt.Cli.Output;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Expt.Cli.Commands;

/// <summary><c>expt status [STUDY]</c>: a study's progress across all workers, live on a terminal.</summary>
internal sealed class StatusCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(60);
    private readonly Argument<string?> _study = new("study") { Description = "The study (default: the latest with trials to run)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _watch = new("--watch", "-w") { Description = "Keep refreshing until the study is done (on a terminal this is the default)" };
    private readonly Option<bool> _once = new("--once") { Description = "Print once and exit, even on a terminal" };
    private readonly Option<string?> _interval = new("--interval") { Description = "Refresh interval (default 1s)" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt status",
        "expt status lr-sweep --store postgresql://expt@db.lab/expt",
        "expt status lr-sweep --format json",
    ];

    public override Command Build()
    {
        var command = new Command("status", "Show a study's progress across all workers: counts, rate, ETA, live workers and stale leases.");
        command.Arguments.Add(_study);
        foreach (var option in new Option[] { _watch, _once, _interval, _format })
        {
            command.Options.Add(option);
        }
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1);
        if (parseResult.GetValue(_interval) is { } text && (!DurationParser.TryParse(text, out interval) || interval <= TimeSpan.Zero))
        {
            throw new UserException($"--interval: '{text}' is not a duration; expected e.g. 500ms, 2s");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var summary = await PickAsync(store, parseResult.GetValue(_study), cancellationToken).ConfigureAwait(false);
        var format = parseResult.GetValue(_format);
        var live = Env.IsTerminal && format == OutputFormat.Table && !parseResult.GetValue(_once);
        var watch = !parseResult.GetValue(_once) && (parseResult.GetValue(_watch) || live);

        if (live)
        {
            var status = await SnapshotAsync(store, summary, cancellationToken).ConfigureAwait(false);
            await Env.Out.Live(Render(status)).AutoClear(false).StartAsync(async context =>
            {
                while (!Finished(status) && !cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(interval, Env.Time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    status = await SnapshotAsync(store, summary, cancellationToken).ConfigureAwait(false);
                    context.UpdateTarget(Render(status));
                }
            }).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        while (true)
        {
            var status = await SnapshotAsync(store, summary, cancellationToken).ConfigureAwait(false);
            Print(status, format);
            if (!watch || Finished(status))
            {
                return ExitCodes.Success;
            }
            await Task.Delay(interval, Env.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Finished(StudyStatus status) => status.Count(TrialStatus.Pending) + status.Count(TrialStatus.Running) == 0;

    private static async Task<StudySummary> PickAsync(IExptStore store, string? name, CancellationToken cancellationToken)
    {
        var studies = await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false);
        if (name is not null)
        {
            return studies.FirstOrDefault(s => s.Study.Name == name)
                ?? throw new UserException($"no study named '{name}' in the store; see: expt studies", ExitCodes.NotFound);
        }
        return studies.LastOrDefault(s => s.Count(TrialStatus.Pending) + s.Count(TrialStatus.Running) > 0)
            ?? studies.LastOrDefault()
            ?? throw new UserException("the store has no studies yet; create one with: expt run FILE", ExitCodes.NotFound);
    }

    private async Task<StudyStatus> SnapshotAsync(IExptStore store, StudySummary summary, CancellationToken cancellationToken)
    {
        var progress = await store.GetProgressAsync(summary.Study.Id, Env.Time.GetUtcNow() - RateWindow, cancellationToken).ConfigureAwait(false);
        var firstStarted = summary.FirstStarted ?? progress.Running.Select(t => t.Started).Min();
        var connections = store.GetCapability<IServerInfo>() is { } server ? await server.GetConnectionsAsync(cancellationToken).ConfigureAwait(false) : null;
        var enqueue = await Execution.EnqueueProgress.ReadAsync(store, summary.Study.Id, progress.Counts.Values.Sum(), cancellationToken).ConfigureAwait(false);
        var cancelled = new Dictionary<CancelReason, int>();
        if (progress.Counts.GetValueOrDefault(TrialStatus.Cancelled) > 0)
        {
            var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = summary.Study.Id, Statuses = [TrialStatus.Cancelled], PreviewChars = 100 }, cancellationToken).ConfigureAwait(false);
            foreach (var group in trials.GroupBy(t => CancelReasons.Of(t)!.Value))
            {
                cancelled[group.Key] = group.Count();
            }
        }
        return new StudyStatus(summary.Study.Name, progress, RateWindow, firstStarted) { Connections = connections, Enqueue = enqueue, Cancelled = cancelled };
    }

    private void Print(StudyStatus status, OutputFormat format)
    {
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, status.WriteJson);
            return;
        }
        // On a terminal the headline wraps at words to its width; a pipe gets it on one line.
        if (Env.IsTerminal && format == OutputFormat.Table)
        {
            Env.Out.Write(new Spectre.Console.Text(status.Headline() + "\n"));
        }
        else
        {
            Env.Out.Profile.Out.Writer.WriteLine(status.Headline());
        }
        if (status.Enqueue is { } enqueue)
        {
            Env.Out.Profile.Out.Writer.WriteLine(enqueue.ToString());
        }
        Env.Out.Profile.Out.Writer.WriteLine($"workers alive: {status.Workers.Count}");
        if (status.ConnectionsLine is { } connections)
        {
            Env.Out.Profile.Out.Writer.WriteLine(connections);
        }
        if (status.Workers.Count > 0)
        {
            TableRenderer.Write(Env, status.WorkersTable(), format);
        }
        if (status.Stale.Count > 0)
        {
            Env.Out.Profile.Out.Writer.WriteLine($"stale leases (their workers stopped renewing them; the next claim requeues them): {status.Stale.Count}");
            TableRenderer.Write(Env, status.StaleTable(), format);
        }
        Env.Out.Profile.Out.Writer.Flush();
    }

    private static IRenderable Render(StudyStatus status)
    {
        var chart = new BreakdownChart().Width(60)
            .AddItem("completed", status.Count(TrialStatus.Completed), Color.Green)
            .AddItem("failed", status.Count(TrialStatus.Failed) + status.Count(TrialStatus.Timeout), Color.Red)
            .AddItem("running", status.Count(TrialStatus.Running), Color.Yellow)
            .AddItem("pending", status.Count(TrialStatus.Pending), Color.Grey);
        var workers = new Table().Border(TableBorder.Rounded).Title($"workers alive: {status.Workers.Count}");
        var data = status.WorkersTable();
        foreach (var header in data.Headers)
        {
            workers.AddColumn(header);
        }
        foreach (var row in data.Rows)
        {
            workers.AddRow(row.Select(Markup.Escape).ToArray());
        }
        var parts = new List<IRenderable> { new Markup(Markup.Escape(status.Headline())), chart, workers };
        if (status.Enqueue is { } enqueue)
        {
            parts.Insert(1, new Markup($"[yellow]{Markup.Escape(enqueue.ToString())}[/]"));
        }
        if (status.ConnectionsLine is { } connections)
        {
            parts.Add(new Markup(Markup.Escape(connections)));
        }
        if (status.Stale.Count > 0)
        {
            parts.Add(new Markup($"[red]stale leases: {status.Stale.Count}[/] (their workers stopped renewing them; the next claim requeues them)"));
        }
        return new Rows(parts);
    }
}
