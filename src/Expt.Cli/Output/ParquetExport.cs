using System.Text.Json;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;
using Parquet;
using Parquet.Schema;

namespace Expt.Cli.Output;

/// <summary>
/// A study's trials as one Parquet file, for pyarrow, polars and DuckDB users: the columns of <c>expt export</c>'s CSV
/// (id, study, status, each parameter, replicate, seed, each result, duration, attempts, name, tags, note) and error,
/// started and finished, each typed by what it holds: whole numbers as int64, other numbers as double (NaN and
/// infinities kept), true/false as boolean, times as UTC timestamps, numeric arrays as lists of doubles, tags as text (space
/// separated, as in CSV), anything else as text (an object result as its JSON). Missing values are nulls.
/// </summary>
internal static class ParquetExport
{
    private enum Kind
    {
        Long,
        Double,
        Bool,
        Text,
        DoubleList,
        Time,
    }

    private sealed record Column(string Name, Kind Kind, object?[] Values);

    /// <summary>Writes the trials to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(IReadOnlyList<TrialRecord> trials, Stream stream, CancellationToken cancellationToken)
    {
        var columns = Columns(trials);
        var fields = columns.Select(Field).ToList();
        var schema = new ParquetSchema(fields);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        for (var i = 0; i < columns.Count; i++)
        {
            await WriteColumnAsync(group, fields[i], columns[i], cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<Column> Columns(IReadOnlyList<TrialRecord> trials)
    {
        var parameters = trials.Select(t => ParamSet.FromJson(t.ParamsJson)).ToList();
        var results = trials.Select(t => Analysis.ResultValues.Parse(t.ResultsJson).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal)).ToList();
        var paramNames = parameters.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList();
        var resultNames = results.SelectMany(r => r.Keys).Distinct(StringComparer.Ordinal).ToList();
        object?[] Of(Func<int, object?> value) => [.. Enumerable.Range(0, trials.Count).Select(value)];
        var columns = new List<Column>
        {
            new("id", Kind.Text, Of(i => trials[i].Id)),
            new("study", Kind.Text, Of(i => trials[i].StudyName)),
            new("status", Kind.Text, Of(i => trials[i].Status.ToName())),
        };
        var fixedNames = new HashSet<string>(["id", "study", "status", "replicate", "seed", "duration", "attempts", "name", "tags", "note", "error", "started", "finished"], StringComparer.Ordinal);
        foreach (var name in paramNames)
        {
            columns.Add(Typed(fixedNames.Contains(name) ? "params." + name : name, Of(i => parameters[i].TryGetValue(name, out var v) ? v : null)));
        }
        columns.Add(new("replicate", Kind.Long, Of(i => (long)trials[i].Replicate)));
        columns.Add(new("seed", Kind.Long, Of(i => trials[i].Seed)));
        foreach (var name in resultNames)
        {
            var column = paramNames.Contains(name) || fixedNames.Contains(name) ? "result." + name : name;
            columns.Add(Typed(column, Of(i => results[i].TryGetValue(name, out var v) ? v : null)));
        }
        columns.Add(new("duration", Kind.Double, Of(i => trials[i].Duration?.TotalSeconds)));
        columns.Add(new("attempts", Kind.Long, Of(i => (long)trials[i].Attempts)));
        columns.Add(new("name", Kind.Text, Of(i => trials[i].Name)));
        columns.Add(new("tags", Kind.Text, Of(i => trials[i].Tags.Count == 0 ? null : string.Join(' ', trials[i].Tags))));
        columns.Add(new("note", Kind.Text, Of(i => trials[i].Note)));
        columns.Add(new("error", Kind.Text, Of(i => trials[i].Error)));
        columns.Add(new("started", Kind.Time, Of(i => trials[i].Started)));
        columns.Add(new("finished", Kind.Time, Of(i => trials[i].Finished)));
        return columns;
    }

    // The narrowest type every value of the column fits.
    private static Column Typed(string name, object?[] values)
    {
        // A list-valued parameter is its JSON: numbers only make a list column, anything else text.
        values = [.. values.Select(v => v is ParamList or ParamMap ? v.ToString() : v)];
        var present = values.Where(v => v is not null).ToList();
        if (present.Count > 0 && present.All(v => v is long))
        {
            return new(name, Kind.Long, values);
        }
        if (present.Count > 0 && present.All(ParamValues.IsNumber))
        {
            return new(name, Kind.Double, [.. values.Select(v => v is null ? null : (object)Exact(v))]);
        }
        if (present.Count > 0 && present.All(v => v is bool))
        {
            return new(name, Kind.Bool, values);
        }
        if (present.Count > 0 && present.All(v => v is string s && NumericArray(s) is not null))
        {
            return new(name, Kind.DoubleList, [.. values.Select(v => v is string s ? NumericArray(s) : null)]);
        }
        return new(name, Kind.Text, [.. values.Select(v => v switch
        {
            null => null,
            string s => s,
            _ => (object)TrialJson.Cell(v),
        })]);
    }

    // The double the JSON text names, correctly rounded: a decimal's digits are parsed again, never converted (which may
    // miss the last bit of a value Python wrote as its shortest repr).
    private static double Exact(object value) => value is decimal m
        ? double.Parse(m.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)
        : ParamValues.ToDouble(value);

    // A JSON array of numbers (a solution vector, a curve), as doubles; null for anything else.
    private static double[]? NumericArray(string json)
    {
        if (!json.StartsWith('['))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            var values = new List<double>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Number)
                {
                    values.Add(item.GetDouble());
                }
                else if (item.ValueKind == JsonValueKind.String && item.GetString() is "NaN" or "Infinity" or "-Infinity" or "nan" or "inf" or "-inf")
                {
                    values.Add(item.GetString() switch { "NaN" or "nan" => double.NaN, "Infinity" or "inf" => double.PositiveInfinity, _ => double.NegativeInfinity });
                }
                else
                {
                    return null;
                }
            }
            return [.. values];
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Field Field(Column column) => column.Kind switch
    {
        Kind.Long => new DataField<long?>(column.Name),
        Kind.Double => new DataField<double?>(column.Name),
        Kind.Bool => new DataField<bool?>(column.Name),
        Kind.Time => new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: true),
        Kind.DoubleList => new ListField(column.Name, new DataField<double>("element")),
        _ => new DataField<string>(column.Name, nullable: true),
    };

    private static async Task WriteColumnAsync(ParquetRowGroupWriter group, Field field, Column column, CancellationToken cancellationToken)
    {
        switch (column.Kind)
        {
            case Kind.Long:
                await group.WriteAsync<long>((DataField)field, column.Values.Select(v => (long?)v).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case Kind.Double:
                await group.WriteAsync<double>((DataField)field, column.Values.Select(v => (double?)v).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case Kind.Bool:
                await group.WriteAsync<bool>((DataField)field, column.Values.Select(v => (bool?)v).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case Kind.Time:
                await group.WriteAsync<DateTime>((DataField)field, column.Values.Select(v => ((DateTimeOffset?)v)?.UtcDateTime).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case Kind.DoubleList:
                {
                    var (values, definitions, repetitions) = Levels(column.Values.Select(v => (IReadOnlyList<double>?)(double[]?)v).ToList(), ((ListField)field).Item);
                    await group.WriteAllPartsAsync<double>(((ListField)field).Item as DataField ?? throw new InvalidOperationException("a list of numbers"), values.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), cancellationToken).ConfigureAwait(false);
                    break;
                }
            default:
                await group.WriteAsync((DataField)field, column.Values.Select(v => (string?)v).ToList()!, null).ConfigureAwait(false);
                break;
        }
    }

    // A list column's parts: the elements one after another; per element (or per empty or missing list) its definition
    // level (how much of the path is there) and repetition level (0 starts a row's list, 1 continues it).
    private static (T[] Values, int[] Definitions, int[] Repetitions) Levels<T>(IReadOnlyList<IReadOnlyList<T>?> rows, Field item)
    {
        var max = ((DataField)item).MaxDefinitionLevel;
        var values = new List<T>();
        var definitions = new List<int>();
        var repetitions = new List<int>();
        foreach (var row in rows)
        {
            if (row is null || row.Count == 0)
            {
                // A missing list is null; an empty one is there with no element.
                definitions.Add(row is null ? max - 2 : max - 1);
                repetitions.Add(0);
                continue;
            }
            for (var i = 0; i < row.Count; i++)
            {
                values.Add(row[i]);
                definitions.Add(max);
                repetitions.Add(i == 0 ? 0 : 1);
            }
        }
        return ([.. values], [.. definitions], [.. repetitions]);
    }
}
