using Expt.Storage;

namespace Expt.Execution;

/// <summary>A study made ready to run: created or found, its trials enqueued.</summary>
/// <param name="Study">The stored study.</param>
/// <param name="Planned">The trials of its plan (the file's, or the C# definition's).</param>
/// <param name="Created">True when this call created it.</param>
/// <param name="Added">Trials added by this call (new points on a resume).</param>
/// <param name="Requeued">Cancelled trials returned to pending.</param>
public sealed record PreparedStudy(StudyRecord Study, long Planned, bool Created, long Added, int Requeued)
{
    /// <summary>An earlier enqueue of the study that had not finished (this one finished it), or null.</summary>
    public EnqueueState? Unfinished { get; init; }

    /// <summary>What the preparation withdrew, brought back and left cancelled.</summary>
    public NarrowingReport Narrowing { get; init; } = NarrowingReport.None;
}
