using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>Trials as a tidy table: one row per trial, one column per parameter and per result.</summary>
internal static class TrialTable
{
    private static readonly string[] AlwaysColumns = ["id", "study", "status", "replicate", "seed", "duration", "attempts"];

    // CSV and Markdown: one column per parameter and result, tidy for pandas, R or a spreadsheet.
    public static TableData Wide(IReadOnlyList<TrialRecord> trials)
    {
        var parameters = trials.Select(t => ParamSet.FromJson(t.ParamsJson)).ToList();
        var results = trials.Select(t => TrialJson.ResultValues(t.ResultsJson)).ToList();
        var paramNames = parameters.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList();
        var resultNames = results.SelectMany(r => r.Select(x => x.Key)).Distinct(StringComparer.Ordinal).ToList();
        var named = trials.Any(t => t.Name is not null);
        var tagged = trials.Any(t => t.Tags.Count > 0 || t.Note is not null);
        // What trials used, as columns pandas reads as numbers: only when some trial has it.
        var usages = trials.Select(t => Resources.TrialUsage.FromJson(t.UsageJson)).ToList();
        var used = usages.Any(u => u is not null);
        var failed = trials.Any(t => !string.IsNullOrWhiteSpace(t.Error));
        var usageColumns = Resources.TrialUsage.MetricNames.Where(m => usages.Any(u => u?.Metric(m) is not null)).ToList();
        // An estimate says how it was made, beside its figures, so nobody reads it as a measurement.
        var energy = usages.Any(u => u?.EnergyMethod is not null);
        var rows = new List<IReadOnlyList<string>>();
        for (var i = 0; i < trials.Count; i++)
        {
            var t = trials[i];
            var row = new List<string> { t.Id, t.StudyName, t.Status.ToName() };
            row.AddRange(paramNames.Select(n => parameters[i].TryGetValue(n, out var v) ? TrialJson.Cell(v) : string.Empty));
            row.Add(t.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.Add(t.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.AddRange(resultNames.Select(n => results[i].FirstOrDefault(r => r.Key == n).Value is { } v ? TrialJson.Cell(v) : string.Empty));
            row.Add(t.Duration is { } d ? d.TotalSeconds.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
            row.Add(t.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (named)
            {
                row.Add(t.Name ?? string.Empty);
            }
            if (tagged)
            {
                row.Add(string.Join(' ', t.Tags));
                row.Add(t.Note ?? string.Empty);
            }
            if (failed)
            {
                row.Add(t.Error ?? string.Empty);
            }
            if (used)
            {
                row.Add(t.Needs.IsNone ? string.Empty : t.Needs.ToString());
                row.Add(usages[i] is { Gpus.Count: > 0 } u ? string.Join(' ', u.Gpus) : string.Empty);
                row.AddRange(usageColumns.Select(m => usages[i]?.Metric(m) is { } v ? TrialJson.Cell(v) : string.Empty));
                if (energy)
                {
                    row.Add(usages[i]?.EnergyMethod ?? string.Empty);
                }
            }
            rows.Add(row);
        }
        var fixedColumns = AlwaysColumns.Concat(named ? ["name"] : []).Concat(tagged ? ["tags", "note"] : []).Concat(failed ? ["error"] : [])
            .Concat(used ? ["needs", "gpus"] : []).ToHashSet(StringComparer.Ordinal);
        var headers = new List<string> { "id", "study", "status" };
        // One name per column: a parameter named like a column of every trial (PyExperimenter's keyfield 'seed') is
        // params.NAME, a result named like either is result.NAME, as where-expressions and expt.load name them.
        headers.AddRange(paramNames.Select(n => fixedColumns.Contains(n) ? "params." + n : n));
        headers.AddRange(["replicate", "seed"]);
        headers.AddRange(resultNames.Select(n => paramNames.Contains(n) || fixedColumns.Contains(n) ? "result." + n : n));
        headers.AddRange(["duration", "attempts"]);
        headers.AddRange(named ? ["name"] : []);
        headers.AddRange(tagged ? ["tags", "note"] : []);
        headers.AddRange(failed ? ["error"] : []);
        headers.AddRange(used ? ["needs", "gpus", .. usageColumns] : []);
        headers.AddRange(used && energy ? ["usage.energy_method"] : []);
        return new TableData(headers, rows);
    }
}
