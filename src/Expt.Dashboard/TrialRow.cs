using Expt.Analysis;
using Expt.Spec;
using Expt.Storage;

namespace Expt.Dashboard;

/// <summary>A trial with its parameters and results parsed once, for sorting and filtering in memory.</summary>
internal sealed class TrialRow
{
    public TrialRow(TrialRecord record)
    {
        Record = record;
        Params = ParamSet.FromJson(record.ParamsJson);
        var results = ResultValues.Parse(record.ResultsJson);
        Results = new Dictionary<string, object?>(results.Count, StringComparer.Ordinal);
        foreach (var (name, value) in results)
        {
            Results[name] = value;
        }
    }

    public TrialRecord Record { get; }

    public ParamSet Params { get; }

    public Dictionary<string, object?> Results { get; }

    /// <summary>A result as a number (ints, floats, bools), or null.</summary>
    public double? Number(string name) => Results.TryGetValue(name, out var value) ? Numbers.Of(value) : null;
}
