using System.Text.Json;
using Expt.Analysis;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>
/// A study as a labelled N-dimensional array, in the dictionary form of xarray's <c>Dataset.from_dict</c>: one
/// dimension per swept parameter (its values in study order) plus <c>replicate</c>, one variable per numeric result.
/// A cell with no completed trial (excluded, failed, not run yet) is null, which numpy reads as NaN.
/// </summary>
internal static class GridExport
{
    /// <summary>The most values (cells × results): a grid this large is a mistake or a job for the trials export.</summary>
    public const long MaxCells = 10_000_000;

    public static void Write(Utf8JsonWriter w, StudyRecord study, IReadOnlyList<TrialRecord> trials)
    {
        var ordered = trials.OrderBy(t => t.Seq).ToList();
        var parsed = ordered.Select(t => ParamSet.FromJson(t.ParamsJson)).ToList();
        var names = parsed.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList();
        // An axis per parameter that takes more than one value; a constant one is an attribute, not a dimension.
        var coords = new List<(string Name, List<object?> Values, Dictionary<string, int> Index)>();
        var constants = new List<(string Name, object? Value)>();
        foreach (var name in names)
        {
            var values = new List<object?>();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var p in parsed)
            {
                var value = p.TryGetValue(name, out var v) ? v : null;
                if (index.TryAdd(Key(value), values.Count))
                {
                    values.Add(value);
                }
            }
            if (values.Count > 1)
            {
                coords.Add((name, values, index));
            }
            else
            {
                constants.Add((name, values.FirstOrDefault()));
            }
        }
        var replicates = ordered.Count == 0 ? 1 : ordered.Max(t => t.Replicate) + 1;
        var shape = coords.Select(c => c.Values.Count).Append(replicates).ToArray();
        var cells = shape.Aggregate(1L, (n, d) => n * d);
        var completed = ordered.Select((t, i) => (t, i)).Where(x => x.t.Status == TrialStatus.Completed).ToList();
        var results = Summarizer.Metrics(completed.Select(x => x.t).ToList());
        // Every variable holds every cell: bound them together, or a sparse grid of many results would fill memory.
        if (cells * Math.Max(1, results.Count) > MaxCells)
        {
            throw new UserException($"--what grid: the grid has {cells:N0} cells ({string.Join(" × ", shape)}) for {Text.Counted.Of(results.Count, "result")}, more than {MaxCells:N0} values; export --what trials instead");
        }
        var variables = results.ToDictionary(r => r, _ => new double?[cells], StringComparer.Ordinal);
        foreach (var (trial, i) in completed)
        {
            var offset = 0L;
            for (var d = 0; d < coords.Count; d++)
            {
                var value = parsed[i].TryGetValue(coords[d].Name, out var v) ? v : null;
                offset = (offset * shape[d]) + coords[d].Index[Key(value)];
            }
            offset = (offset * replicates) + trial.Replicate;
            foreach (var result in results)
            {
                variables[result][offset] = ResultValues.Number(trial, result);
            }
        }

        var dims = coords.Select(c => c.Name).Append("replicate").ToList();
        w.WriteStartObject();
        w.WriteStartObject("attrs");
        w.WriteString("study", study.Name);
        foreach (var (name, value) in constants)
        {
            w.WritePropertyName(name);
            ParamValues.WriteJson(w, value);
        }
        w.WriteEndObject();
        w.WriteStartArray("dims");
        foreach (var dim in dims)
        {
            w.WriteStringValue(dim);
        }
        w.WriteEndArray();
        w.WriteStartObject("coords");
        foreach (var (name, values, _) in coords)
        {
            w.WriteStartObject(name);
            w.WriteString("dims", name);
            w.WriteStartArray("data");
            foreach (var value in values)
            {
                ParamValues.WriteJson(w, value);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteStartObject("replicate");
        w.WriteString("dims", "replicate");
        w.WriteStartArray("data");
        for (var r = 0; r < replicates; r++)
        {
            w.WriteNumberValue(r);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("data_vars");
        foreach (var result in results)
        {
            // A result named like a parameter would clash with its coordinate.
            w.WriteStartObject(dims.Contains(result) ? "result_" + result : result);
            w.WriteStartArray("dims");
            foreach (var dim in dims)
            {
                w.WriteStringValue(dim);
            }
            w.WriteEndArray();
            w.WritePropertyName("data");
            Nested(w, variables[result], shape, 0, 0);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string Key(object? value) => value is null ? "\u0000null" : ParamValues.Format(value) + "\u0001" + value.GetType().Name;

    private static void Nested(Utf8JsonWriter w, double?[] data, int[] shape, int dim, long offset)
    {
        w.WriteStartArray();
        var stride = 1L;
        for (var d = dim + 1; d < shape.Length; d++)
        {
            stride *= shape[d];
        }
        for (var i = 0; i < shape[dim]; i++)
        {
            if (dim == shape.Length - 1)
            {
                // Non-finite values are null too: JSON has no NaN, and numpy reads null as NaN.
                if (data[offset + i] is { } v && double.IsFinite(v))
                {
                    w.WriteNumberValue(v);
                }
                else
                {
                    w.WriteNullValue();
                }
            }
            else
            {
                Nested(w, data, shape, dim + 1, offset + (i * stride));
            }
        }
        w.WriteEndArray();
    }
}
