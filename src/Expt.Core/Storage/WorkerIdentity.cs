namespace Expt.Storage;

/// <summary>Who holds a lease.</summary>
/// <param name="Id">Unique worker id.</param>
/// <param name="Host">Machine name.</param>
/// <param name="Pid">Process id.</param>
public sealed record WorkerIdentity(string Id, string Host, int Pid)
{
    /// <summary>This process, with a fresh id.</summary>
    public static WorkerIdentity ForThisProcess() =>
        new($"{Environment.MachineName}-{Environment.ProcessId}-{Trials.TrialIdentity.NewId()}", Environment.MachineName, Environment.ProcessId);
}
