using Expt.Analysis;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Dashboard;

/// <summary>A study's trials as loaded at one moment, parsed for the pages' queries.</summary>
internal sealed class StudySnapshot
{
    public StudySnapshot(StudyRecord study, IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<TrialStatus, int> counts, long version)
    {
        Study = study;
        Records = trials;
        Rows = trials.Select(t => new TrialResult(t)).ToArray();
        Counts = counts;
        Version = version;
        ParamNames = Rows.SelectMany(r => r.Params.Names).Distinct(StringComparer.Ordinal).ToList();
        // Result names in order of first appearance; numeric ones are the metrics that can be charted and summarised.
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var numeric = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            foreach (var (name, value) in row.Results)
            {
                if (seen.Add(name))
                {
                    names.Add(name);
                }
                if (Numbers.Of(value) is not null)
                {
                    numeric.Add(name);
                }
            }
        }
        ResultNames = names;
        Metrics = names.Where(numeric.Contains).ToList();
    }

    public StudyRecord Study { get; }

    public IReadOnlyList<TrialRecord> Records { get; }

    public TrialResult[] Rows { get; }

    public IReadOnlyDictionary<TrialStatus, int> Counts { get; }

    /// <summary>Increases whenever the cache reloads the study: a key for anything computed from the snapshot.</summary>
    public long Version { get; }

    public IReadOnlyList<string> ParamNames { get; }

    public IReadOnlyList<string> ResultNames { get; }

    public IReadOnlyList<string> Metrics { get; }

    /// <summary>Computed views of this snapshot (summaries, curves), dropped with it.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, object> Memo { get; } = new(StringComparer.Ordinal);
}
