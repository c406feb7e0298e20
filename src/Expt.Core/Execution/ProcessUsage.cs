namespace Expt.Execution;

/// <summary>What a process and the children it waited for used, as the kernel counts it when it is reaped.</summary>
/// <param name="UserSeconds">CPU time in user mode.</param>
/// <param name="SystemSeconds">CPU time in kernel mode.</param>
/// <param name="MaxRssBytes">The largest resident set of any one of them, as <c>ru_maxrss</c> has it: not used for a trial's
/// memory, since a child started with vfork semantics is charged its parent's resident set at its exec.</param>
internal sealed record ProcessUsage(double UserSeconds, double SystemSeconds, long MaxRssBytes);
