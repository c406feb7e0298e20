using System.Collections.Concurrent;
using System.Globalization;
using Expt.Cli.Output;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Expt.Cli;

/// <summary>
/// Shows a run as it happens: on a terminal a live panel (bar, counts, rate, ETA, each slot's current trial);
/// otherwise one plain line per finished trial, which logs and CI read well.
/// </summary>
internal sealed class RunProgress : IWorkerObserver
{
    private readonly CliEnvironment _env;
    private readonly int _total;
    private readonly int _alreadyDone;
    private readonly bool _quiet;
    private readonly long _startedAt;
    private readonly ConcurrentDictionary<int, (TrialContext Context, long Started)> _slots = new();
    private readonly Lock _writeLock = new();
    private readonly Execution.OutcomeTally _tally = new();
    private int _retried;

    public RunProgress(CliEnvironment env, int total, int alreadyDone, bool quiet)
    {
        _env = env;
        _total = total;
        _alreadyDone = alreadyDone;
        _quiet = quiet;
        _startedAt = env.Time.GetTimestamp();
    }

    public string? Status { get; set; }

    /// <summary>True for <c>-q</c>: only failures and the end are printed.</summary>
    public bool Quiet => _quiet;

    /// <summary>Trials this run finished (a trial retried counts once, by its last attempt).</summary>
    public int TrialsFinished => Finished;

    /// <summary>Attempts that failed and were retried.</summary>
    public int Retried => Volatile.Read(ref _retried);

    private int Finished => _tally.Finished;

    public void TrialStarted(TrialContext context) => _slots[context.Slot] = (context, _env.Time.GetTimestamp());

    public void TrialFinished(TrialContext context, TrialOutcome outcome, bool accepted)
    {
        if (_slots.TryGetValue(context.Slot, out var current) && current.Context == context)
        {
            _slots.TryRemove(context.Slot, out _);
        }
        var retrying = Storage.AttemptPolicy.Retries(outcome.Status, context.Lease.Attempt, context.Lease.MaxAttempts);
        if (retrying)
        {
            Interlocked.Increment(ref _retried);
        }
        else
        {
            _tally.Add(outcome.Status);
        }
        if (outcome.Status == TrialStatus.Completed && outcome.Error is { } warnings)
        {
            // Bad metric lines do not fail a trial, but they are never silent either.
            lock (_writeLock)
            {
                foreach (var warning in warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    _env.Error.WriteLine($"trial {context.Lease.TrialId}: {Expt.Text.TerminalText.Escape(warning)}");
                }
            }
        }
        if (_env.IsTerminal && outcome.Status == TrialStatus.Completed)
        {
            return;
        }
        if (_quiet && outcome.Status == TrialStatus.Completed)
        {
            return;
        }
        var status = retrying ? outcome.Status.ToName() + ", will retry" : outcome.Status.ToName();
        var counter = _total > 0 ? $"[{_alreadyDone + Finished,5}/{_total}]" : $"[{Finished + _retried,5}]";
        var line = $"{counter} {status,-9} {context.Lease.TrialId} {context.Params} #{context.Lease.Replicate} {DurationParser.Format(outcome.Duration)}";
        if (outcome.Status == TrialStatus.Completed)
        {
            var results = TrialJson.ResultValues(outcome.ResultsJson).Take(4).Select(r => $"{r.Key}={TrialJson.Display(r.Value)}");
            line += " " + string.Join(' ', results);
        }
        else if (outcome.Error is { } error)
        {
            line += " — " + FirstLine(error);
        }
        if (!accepted)
        {
            line += " (not recorded: the lease was lost)";
        }
        line = Expt.Text.TerminalText.Escape(line);
        lock (_writeLock)
        {
            if (_env.IsTerminal)
            {
                _env.Out.MarkupLine(outcome.Status == TrialStatus.Completed ? Markup.Escape(line) : $"[red]{Markup.Escape(line)}[/]");
            }
            else
            {
                _env.Out.Profile.Out.Writer.WriteLine(line);
            }
        }
    }

    private static string FirstLine(string text)
    {
        // "exit code 3" says little alone: add the last line of stderr. An exception's first line is its message.
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var first = lines.Length > 0 ? lines[0] : string.Empty;
        var summary = lines.Length > 1 && (first.StartsWith("exit code", StringComparison.Ordinal) || first.StartsWith("the worker process died", StringComparison.Ordinal))
            ? $"{first}: {lines[^1]}"
            : first;
        return summary.Length > 160 ? summary[..157] + "..." : summary;
    }

    public string RateText()
    {
        var elapsed = _env.Time.GetElapsedTime(_startedAt).TotalSeconds;
        var rate = elapsed > 0 ? Finished / elapsed : 0;
        return rate >= 10 ? rate.ToString("0", CultureInfo.InvariantCulture) : rate.ToString("0.0#", CultureInfo.InvariantCulture);
    }

    public IRenderable Render()
    {
        var elapsed = _env.Time.GetElapsedTime(_startedAt);
        var done = _alreadyDone + Finished;
        var rate = elapsed.TotalSeconds > 0 ? Finished / elapsed.TotalSeconds : 0;
        var remaining = _total - done;
        var eta = remaining <= 0 ? "done" : rate > 0 ? "ETA " + DurationParser.Format(TimeSpan.FromSeconds(remaining / rate)) : "ETA ?";
        var width = 30;
        var filled = _total == 0 ? width : (int)Math.Round(width * (double)done / _total);
        var bar = new string('━', filled) + new string('─', width - filled);
        var rows = new List<IRenderable>
        {
            new Markup($"[green]{bar}[/] {done}/{_total}  [green]✓ {_tally.Completed}[/]  [red]✗ {_tally.Failed}[/]  [darkorange]⏱ {_tally.TimedOut}[/]  [grey]cancelled {_tally.Cancelled}[/]  running {_slots.Count}  " +
                $"{rate.ToString("0.0", CultureInfo.InvariantCulture)} trials/s  elapsed {DurationParser.Format(elapsed)}  {eta}"),
        };
        if (Status is { } status)
        {
            rows.Add(new Markup($"[yellow]{Markup.Escape(status)}[/]"));
        }
        foreach (var (slot, (context, started)) in _slots.OrderBy(s => s.Key).Take(16))
        {
            rows.Add(new Markup($"[grey]slot {slot,2}[/] {context.Lease.TrialId} {Markup.Escape(Expt.Text.TerminalText.Escape(context.Params.ToString()))} #{context.Lease.Replicate} [grey]{DurationParser.Format(_env.Time.GetElapsedTime(started))}[/]"));
        }
        return new Rows(rows);
    }

    public (int Completed, int Failed, int TimedOut, int Cancelled) Counts => (_tally.Completed, _tally.Failed, _tally.TimedOut, _tally.Cancelled);
}
