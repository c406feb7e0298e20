using Expt.Storage;
using Expt.Trials;

namespace Expt.Execution;

/// <summary>A study made ready to run: created or found, its trials enqueued.</summary>
/// <param name="Study">The stored study.</param>
/// <param name="Plan">Its trials, in plan order.</param>
/// <param name="Created">True when this call created it.</param>
/// <param name="Added">Trials added by this call (new points on a resume).</param>
/// <param name="Requeued">Cancelled trials returned to pending.</param>
public sealed record PreparedStudy(StudyRecord Study, IReadOnlyList<PlannedTrial> Plan, bool Created, int Added, int Requeued);
