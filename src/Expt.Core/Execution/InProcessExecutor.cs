using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>
/// Runs C# trial code in this process. A timeout cancels the trial's token; code that ignores it is abandoned after
/// a grace period and the trial counts as timed out (process isolation is the way to kill such code).
/// </summary>
public sealed class InProcessExecutor : ITrialExecutor
{
    private readonly Func<Trial, Task<object?>> _body;
    private readonly TimeSpan? _timeout;
    private readonly TimeProvider _time;
    private readonly TrialLimits _limits;

    /// <summary>Creates an executor for one experiment body.</summary>
    public InProcessExecutor(Func<Trial, Task<object?>> body, TimeSpan? timeout, TimeProvider? time = null, TrialLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        _body = body;
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
        _limits = limits ?? new TrialLimits();
    }

    /// <summary>How long code that ignores its cancelled token is waited for after a timeout.</summary>
    public static TimeSpan Grace { get; } = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async Task<TrialOutcome> ExecuteAsync(TrialContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var timeout = _timeout is { } t ? new CancellationTokenSource(t, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var trial = new Trial(context, _time, linked.Token);
        var startedAt = _time.GetTimestamp();
        TrialOutcome Outcome(TrialStatus status, string? results = null, string? error = null) =>
            new(status, _time.GetElapsedTime(startedAt), results, error) { Metrics = trial.Metrics, Tags = trial.Tags, Note = trial.NoteText };
        var cancelled = cancellationToken.IsCancellationRequested;
        try
        {
            var task = _body(trial);
            if (!task.IsCompleted && (_timeout is not null || cancellationToken.CanBeCanceled))
            {
                // Wait for the body, or for its token plus a grace period if it does not stop by itself.
                var abandon = new TaskCompletionSource();
                using var registration = linked.Token.Register(() => _ = Task.Delay(Grace, _time).ContinueWith(_ => abandon.TrySetResult(), TaskScheduler.Default));
                if (await Task.WhenAny(task, abandon.Task).ConfigureAwait(false) != task)
                {
                    _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default); // observe a late fault
                    return cancellationToken.IsCancellationRequested
                        ? Outcome(TrialStatus.Cancelled, error: "cancelled; the trial code did not stop within the grace period")
                        : Outcome(TrialStatus.Timeout, error: $"timed out after {_timeout}; the trial code did not stop within the grace period");
                }
            }
            var returned = await task.ConfigureAwait(false);
            await trial.DrainAsync().ConfigureAwait(false);
            var results = ResultsJson.Build(trial.Results, returned);
            if (results is not null && System.Text.Encoding.UTF8.GetByteCount(results) > _limits.MaxResultsBytes)
            {
                return Outcome(TrialStatus.Failed, error: $"the results are {TrialFiles.Size(System.Text.Encoding.UTF8.GetByteCount(results))}, more than the limit of {TrialFiles.Size(_limits.MaxResultsBytes)} (limits.results in the study raises it)");
            }
            return Outcome(TrialStatus.Completed, results);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            cancelled = cancellationToken.IsCancellationRequested;
            return cancelled ? Outcome(TrialStatus.Cancelled, error: "cancelled") : Outcome(TrialStatus.Timeout, error: $"timed out after {_timeout}");
        }
        catch (Exception ex)
        {
            return Outcome(TrialStatus.Failed, error: TrialWarnings.Cut(ex.ToString(), 64 * 1024));
        }
    }
}
