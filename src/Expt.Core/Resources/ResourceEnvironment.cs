using System.Globalization;

namespace Expt.Resources;

/// <summary>
/// The environment that tells a trial what it was given: <c>EXPT_CPUS</c>; the thread counts of the common numeric
/// libraries set to its cores (so eight numpy trials on eight cores do not start eight threads each), unless the
/// study or the worker's environment sets them; and its GPUs in <c>CUDA_VISIBLE_DEVICES</c> and <c>EXPT_GPUS</c>
/// (empty for a trial that declared none, so it cannot take a GPU another trial was given).
/// </summary>
public static class ResourceEnvironment
{
    /// <summary>The thread-count variables set to a trial's cores.</summary>
    public static IReadOnlyList<string> ThreadVariables { get; } = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"];

    /// <summary>
    /// The variables for a trial given <paramref name="grant"/>; none for a trial of a study without resources.
    /// <paramref name="alreadySet"/> says whether the study or the worker's environment sets a variable.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(ResourceGrant grant, Func<string, bool> alreadySet)
    {
        ArgumentNullException.ThrowIfNull(grant);
        ArgumentNullException.ThrowIfNull(alreadySet);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (grant.Needs.IsNone)
        {
            return env;
        }
        var cpus = Math.Max(1, grant.Needs.Cpus).ToString(CultureInfo.InvariantCulture);
        env["EXPT_CPUS"] = cpus;
        foreach (var name in ThreadVariables.Where(n => !alreadySet(n)))
        {
            env[name] = cpus;
        }
        var gpus = string.Join(',', grant.GpuNames);
        env["CUDA_VISIBLE_DEVICES"] = gpus;
        env["EXPT_GPUS"] = gpus;
        return env;
    }
}
