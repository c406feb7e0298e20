namespace Expt.Execution;

/// <summary>What a process and the children it waited for used, as the kernel counts it when it is reaped.</summary>
/// <param name="UserSeconds">CPU time in user mode.</param>
/// <param name="SystemSeconds">CPU time in kernel mode.</param>
/// <param name="MaxRssBytes">The largest resident set of any one of them.</param>
internal sealed record ProcessUsage(double UserSeconds, double SystemSeconds, long MaxRssBytes);
