using System.Threading.Channels;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

// The slots: each runs one trial at a time, then scrubs its outcome and collects its files for the writer.
public sealed partial class Worker
{
    private async Task SlotAsync(int slot, ChannelReader<TrialLease> ready, ChannelWriter<Done> done, CancellationToken stop)
    {
        await foreach (var lease in ready.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested || !_inFlight.TryGetValue(lease.TrialId, out var item) || item.Cancellation.IsCancellationRequested)
            {
                _unstarted.Enqueue(lease);
                _inFlight.TryRemove(lease.TrialId, out _);
                continue;
            }
            item.Started = true;
            var context = new TrialContext(lease, ParamSet.FromJson(lease.ParamsJson), TrialDirectories.TrialPath(_store.RunsDirectory, lease.StudyName, lease.TrialId), slot)
            {
                AppendMetrics = points => _store.AppendMetricsAsync(lease, points, CancellationToken.None),
                Scrubber = _options.Scrubber,
            };
            _observer?.TrialStarted(context);
            var startedAt = _time.GetTimestamp();
            TrialOutcome outcome;
            try
            {
                outcome = await _executorFor(lease).ExecuteAsync(context, item.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Executors report a trial's own failures as outcomes; this is a fault of the executor itself.
                outcome = new TrialOutcome(item.Cancellation.IsCancellationRequested ? TrialStatus.Cancelled : TrialStatus.Failed, _time.GetElapsedTime(startedAt), Error: $"the trial could not be run: {ex.Message}");
            }
            if (outcome is { Status: TrialStatus.Failed, ExitCode: 129 or 130 or 137 or 143 } && !item.Cancellation.IsCancellationRequested)
            {
                outcome = await AfterSignalAsync(item, outcome).ConfigureAwait(false);
            }
            if (_options.KeepFilesUpTo is { } limit && !item.Cancellation.IsCancellationRequested)
            {
                outcome = outcome with { Files = CollectFiles(context.TrialDirectory, limit, _options.KeepFilesTotal) };
            }
            outcome = Scrub(outcome);
            var ms = outcome.Duration.TotalMilliseconds;
            _averageMs = (_averageMs * 0.9) + (ms * 0.1);
            done.TryWrite(new Done(context, outcome));
        }
    }

    // The trial's process died of a signal nobody here sent. When its batch job is being cancelled or requeued, the
    // same signal reaches this worker a moment later: wait for it briefly, so the trial goes back to the queue (or
    // ends cancelled) rather than failing for something it did not do.
    private async Task<TrialOutcome> AfterSignalAsync(InFlight item, TrialOutcome outcome)
    {
        try
        {
            await Task.Delay(_options.SignalGrace, _time, item.Cancellation.Token).ConfigureAwait(false);
            return outcome;
        }
        catch (OperationCanceledException)
        {
            return item.GiveBack ? outcome : outcome with { Status = TrialStatus.Cancelled, Error = "cancelled; " + outcome.Error };
        }
    }

    /// <summary>
    /// What a trial hands back, with secrets masked before it reaches the store: known secret values anywhere (a
    /// trial echoing its password), and secret patterns (URL passwords, --password X) in its error text.
    /// </summary>
    private TrialOutcome Scrub(TrialOutcome outcome)
    {
        var scrubber = _options.Scrubber;
        var error = outcome.Error is null ? null : Provenance.Redactor.RedactText(scrubber.Scrub(outcome.Error));
        if (scrubber.Count == 0)
        {
            return error == outcome.Error ? outcome : outcome with { Error = error };
        }
        return outcome with
        {
            Error = error,
            ResultsJson = outcome.ResultsJson is null ? null : scrubber.Scrub(outcome.ResultsJson),
            Files = outcome.Files.Select(f => f with { Content = scrubber.Scrub(f.Content.ToArray()) }).ToList(),
        };
    }

    private static List<TrialFile> CollectFiles(string directory, long limit, long total)
    {
        var files = new List<TrialFile>();
        // Regular files only, bounded: a link is never followed (a link to /etc/shadow is not copied into the store).
        // Smallest first, so one huge artifact cannot crowd out the logs.
        foreach (var file in TrialFiles.List(directory).Entries.Where(e => e.Kind == TrialFileKind.File).OrderBy(e => e.Length))
        {
            if (file.Length > limit || file.Length > total)
            {
                continue;
            }
            try
            {
                if (TrialFiles.ReadBounded(Path.Combine(directory, file.Path), limit, out _) is { } content)
                {
                    files.Add(new TrialFile(file.Path, content));
                    total -= content.Length;
                }
            }
            catch (IOException)
            {
                // Deleted or locked meanwhile: it stays on disk only.
            }
        }
        return files;
    }
}
