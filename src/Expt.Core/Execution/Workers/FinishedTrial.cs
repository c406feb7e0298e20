using Expt.Storage;

namespace Expt.Execution.Workers;

/// <summary>What a slot hands the writer: a trial's context and how it ended.</summary>
internal sealed record FinishedTrial(TrialContext Context, TrialOutcome Outcome);
