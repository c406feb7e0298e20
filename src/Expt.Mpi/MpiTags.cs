namespace Expt.Mpi;

/// <summary>Message tags between the coordinator (rank 0) and the trial ranks.</summary>
internal static class MpiTags
{
    /// <summary>0 → rank: run this trial (a trial-host request line).</summary>
    public const int Trial = 1;

    /// <summary>rank → 0: how it ended (a trial-host response line).</summary>
    public const int Result = 2;

    /// <summary>0 → rank: interrupt the running trial.</summary>
    public const int Cancel = 3;

    /// <summary>0 → rank: no more trials; answer <see cref="Bye"/> and finish.</summary>
    public const int Stop = 4;

    /// <summary>rank → 0: finished.</summary>
    public const int Bye = 5;

    /// <summary>rank → 0, once at start: what it has (cores, memory, GPU devices), so trials go where they fit.</summary>
    public const int Capacity = 6;
}
