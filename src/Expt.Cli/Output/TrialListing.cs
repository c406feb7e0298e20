using System.Globalization;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Output;

/// <summary>
/// What <c>expt ls</c> shows on a terminal. Trials of one study: the id and status, then one column per parameter that
/// varies (the ones that do not are said once above), the objectives, the other results, and then the rest (replicate,
/// duration, attempts, study, tags, the error or a cancelled trial's reason); a narrow terminal leaves out the rest
/// first. Trials of several studies: their parameters and results folded into one column each.
/// </summary>
internal static class TrialListing
{
    public static TableData Build(IReadOnlyList<TrialRecord> trials, IReadOnlyList<string> objectives)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(objectives);
        var named = trials.Any(t => t.Name is not null);
        var tagged = trials.Any(t => t.Tags.Count > 0);
        var failed = trials.Any(Explained);
        var single = trials.Select(t => t.StudyId).Distinct(StringComparer.Ordinal).Count() <= 1;
        var points = trials.Select(t => ParamSet.FromJson(t.ParamsJson)).ToList();
        var results = trials.Select(t => TrialJson.ResultValues(t.ResultsJson)).ToList();
        var paramNames = single ? points.SelectMany(p => p.Names).Distinct(StringComparer.Ordinal).ToList() : [];
        var reported = single ? results.SelectMany(r => r.Select(x => x.Key)).Distinct(StringComparer.Ordinal).ToList() : [];
        var resultNames = objectives.Where(reported.Contains).Concat(reported.Where(n => !objectives.Contains(n))).ToList();

        var headers = new List<string> { "id" };
        var priority = new List<int> { 1000 };
        var right = new HashSet<int>();
        var shrink = new HashSet<int>();
        void Column(string header, int rank, bool number = false, bool shrinkable = false)
        {
            if (number)
            {
                right.Add(headers.Count);
            }
            if (shrinkable)
            {
                shrink.Add(headers.Count);
            }
            headers.Add(header);
            priority.Add(rank);
        }

        if (named)
        {
            Column("name", 650, shrinkable: true);
        }
        Column("status", 990);
        if (single)
        {
            for (var i = 0; i < paramNames.Count; i++)
            {
                Column(paramNames[i], 800 - i, shrinkable: true);
            }
            for (var i = 0; i < resultNames.Count; i++)
            {
                var name = resultNames[i];
                var numeric = results.All(r => r.FirstOrDefault(x => x.Key == name).Value is null or long or decimal or double);
                Column(paramNames.Contains(name) ? "result." + name : name, objectives.Contains(name) ? 950 - i : 600 - i, numeric, shrinkable: !numeric);
            }
        }
        else
        {
            Column("params", 800, shrinkable: true);
            Column("results", 600, shrinkable: true);
        }
        Column("rep", 500, number: true);
        Column("duration", 400, number: true);
        Column("attempts", 300, number: true);
        var studyColumn = headers.Count;
        Column("study", single ? 350 : 980);
        if (tagged)
        {
            Column("tags", 200, shrinkable: true);
        }
        if (failed)
        {
            // A cancelled trial's reason (by hand, withdrawn by a narrowed file, interrupted) goes in the same column.
            Column(trials.Any(t => t.Status is TrialStatus.Failed or TrialStatus.Timeout && !string.IsNullOrWhiteSpace(t.Error)) ? "error" : "reason", 700, shrinkable: true);
        }

        var rows = new List<IReadOnlyList<string>>();
        for (var t = 0; t < trials.Count; t++)
        {
            var trial = trials[t];
            var row = new List<string> { trial.Id };
            if (named)
            {
                row.Add(trial.Name ?? string.Empty);
            }
            row.Add(trial.Status.ToName());
            if (single)
            {
                row.AddRange(paramNames.Select(n => points[t].TryGetValue(n, out var v) ? ParamValues.Format(v) : string.Empty));
                row.AddRange(resultNames.Select(n => results[t].FirstOrDefault(r => r.Key == n) is { Key: not null } r ? TrialJson.Display(r.Value) : string.Empty));
            }
            else
            {
                row.Add(points[t].ToString());
                row.Add(string.Join(' ', results[t].Take(4).Select(r => $"{r.Key}={TrialJson.Display(r.Value)}")));
            }
            row.Add(trial.Replicate.ToString(CultureInfo.InvariantCulture));
            row.Add(trial.Duration is { } d ? DurationParser.Format(d) : string.Empty);
            row.Add(trial.Attempts.ToString(CultureInfo.InvariantCulture));
            row.Add(trial.StudyName);
            if (tagged)
            {
                row.Add(string.Join(' ', trial.Tags));
            }
            if (failed)
            {
                row.Add(Explained(trial) ? Execution.TrialWarnings.Cut(trial.Error!.Split('\n')[0].Trim(), 80) : string.Empty);
            }
            rows.Add(row);
        }
        var firstParam = 2 + (named ? 1 : 0);
        var constants = TableData.ConstantColumns(rows, Enumerable.Range(firstParam, paramNames.Count).Append(studyColumn));
        return new TableData(headers, rows) { RightAligned = right, Priority = priority, Shrinkable = shrink, Constants = constants };
    }

    // Why a trial failed (the error's first line: a Python exception's "ValueError: ..."; all of it in expt show), or
    // why it is cancelled.
    private static bool Explained(TrialRecord trial) => trial.Status is TrialStatus.Failed or TrialStatus.Timeout or TrialStatus.Cancelled && !string.IsNullOrWhiteSpace(trial.Error);
}
