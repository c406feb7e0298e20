using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli;

/// <summary>Finds what users name on the command line: studies by name, trials by id prefix.</summary>
internal static class Lookup
{
    public static async Task<StudyRecord> StudyAsync(IExptStore store, string name, CancellationToken cancellationToken)
    {
        var study = await store.GetStudyAsync(name, cancellationToken).ConfigureAwait(false);
        if (study is not null)
        {
            return study;
        }
        var names = (await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false)).Select(s => s.Study.Name).ToList();
        var suggestion = Text.Suggestions.Closest(name, names);
        throw new UserException($"no study named '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; studies: {(names.Count == 0 ? "none" : string.Join(", ", names))}", ExitCodes.NotFound);
    }

    public static async Task<TrialRecord> TrialAsync(IExptStore store, string prefix, CancellationToken cancellationToken)
    {
        if (prefix.Length == 0 || !prefix.All(char.IsAsciiHexDigit))
        {
            throw new UserException($"'{prefix}' is not a trial id; expected hex digits such as 3fa9c1d2 (a unique prefix is enough)");
        }
        var matches = await store.FindTrialsAsync(prefix, cancellationToken).ConfigureAwait(false);
        return matches.Count switch
        {
            0 => throw new UserException($"no trial with an id starting '{prefix}'", ExitCodes.NotFound),
            1 => matches[0],
            _ => throw new UserException($"'{prefix}' is ambiguous: it starts {string.Join(", ", matches.Take(5).Select(m => m.Id))}{(matches.Count > 5 ? ", ..." : string.Empty)}; give more digits"),
        };
    }

    /// <summary>Resolves every id prefix to one trial, or fails on the first that matches none or several.</summary>
    public static async Task<List<TrialRecord>> TrialsAsync(IExptStore store, IEnumerable<string> prefixes, CancellationToken cancellationToken)
    {
        var trials = new List<TrialRecord>();
        foreach (var prefix in prefixes)
        {
            trials.Add(await TrialAsync(store, prefix, cancellationToken).ConfigureAwait(false));
        }
        return trials;
    }

    /// <summary>Parses a where-expression given as an option; a mistake is a one-line usage error naming the option.</summary>
    public static Expressions.WhereExpression? Where(string option, string? text)
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            return Expressions.WhereExpression.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new UserException($"{option}: {ex.Message}");
        }
    }

    /// <summary>A <c>--status</c> list (<c>failed,timeout</c>), or <paramref name="fallback"/> when none is given.</summary>
    public static IReadOnlyList<TrialStatus> Statuses(string? text, IReadOnlyList<TrialStatus> fallback)
    {
        try
        {
            return TrialStatusNames.ParseList(text) is { Count: > 0 } statuses ? statuses : fallback;
        }
        catch (FormatException ex)
        {
            throw new UserException($"--status: {ex.Message}");
        }
    }
}
