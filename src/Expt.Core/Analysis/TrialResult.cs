using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Analysis;

/// <summary>A trial as the results API shows it: its record, typed parameters and results.</summary>
public sealed class TrialResult
{
    /// <summary>Parses a stored trial's parameters and results once.</summary>
    public TrialResult(TrialRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Record = record;
        Params = ParamSet.FromJson(record.ParamsJson);
        var results = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in record.ParsedResults)
        {
            results[key] = value;
        }
        Results = results;
    }

    /// <summary>The stored record (id, status, seed, times, error...).</summary>
    public TrialRecord Record { get; }

    public string Id => Record.Id;

    public TrialStatus Status => Record.Status;

    public int Replicate => Record.Replicate;

    public ParamSet Params { get; }

    /// <summary>The results: ints, floats, strings, bools; arrays and objects as JSON text.</summary>
    public IReadOnlyDictionary<string, object?> Results { get; }

    /// <summary>A numeric result, or null.</summary>
    public double? Number(string name) => Results.TryGetValue(name, out var value)
        ? ParamValues.IsNumber(value) ? ParamValues.ToDouble(value) : null
        : name.StartsWith(Resources.TrialUsage.MetricPrefix, StringComparison.Ordinal) ? Usage?.Metric(name) : null;

    /// <summary>What the trial's last attempt was given and used, or null (parsed once).</summary>
    public Resources.TrialUsage? Usage
    {
        get
        {
            _usage ??= Resources.TrialUsage.FromJson(Record.UsageJson) ?? NoUsage;
            return ReferenceEquals(_usage, NoUsage) ? null : _usage;
        }
    }

    private static readonly Resources.TrialUsage NoUsage = new();
    private Resources.TrialUsage? _usage;

    /// <summary>A numeric array result, or null.</summary>
    public double[]? Array(string name) => ResultValues.Array(Record.ResultsJson, name);

    /// <inheritdoc />
    public override string ToString() => $"{Id} {Params} #{Replicate} {Status.ToName()}";
}
