namespace Expt.Resources;

/// <summary>What a worker gave one trial: its needs, and the GPU devices (by the machine's names) it may use.</summary>
/// <param name="Needs">What the trial declared.</param>
/// <param name="GpuDevices">Indices into the worker's GPU list.</param>
/// <param name="GpuNames">The devices as the machine names them (<c>CUDA_VISIBLE_DEVICES</c>).</param>
public sealed record ResourceGrant(TrialNeeds Needs, IReadOnlyList<int> GpuDevices, IReadOnlyList<string> GpuNames)
{
    /// <summary>Nothing given: a trial of a study without resources.</summary>
    public static ResourceGrant None { get; } = new(TrialNeeds.None, [], []);
}
