namespace Expt.Storage;

/// <summary>The process that ran a trial, when it is not the worker that claimed it (an MPI rank).</summary>
/// <param name="Host">The machine.</param>
/// <param name="Pid">The process id there.</param>
/// <param name="Rank">The MPI rank, or null.</param>
public sealed record TrialPlace(string Host, int Pid, int? Rank);
