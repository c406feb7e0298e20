using Expt.Spec;

namespace Expt.Dashboard;

/// <summary>Parameter and result values as numbers, where they are numbers.</summary>
internal static class Numbers
{
    /// <summary>The value as a double when it is a number by Core's rule (the one summaries use), else null.</summary>
    public static double? Of(object? value) => ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null;
}
