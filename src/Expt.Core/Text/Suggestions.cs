namespace Expt.Text;

/// <summary>"Did you mean ...?": the candidate a mistyped word most likely meant.</summary>
public static class Suggestions
{
    /// <summary>Words longer than this get no suggestion: a typo is short, and the distance costs their product.</summary>
    private const int MaxLength = 256;

    /// <summary>The closest candidate by edit distance, when it is close enough to be a likely typo; else null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(candidates);
        if (word.Length > MaxLength)
        {
            return null;
        }
        var limit = Math.Max(1, word.Length / 3);
        var best = candidates.Where(c => c.Length <= MaxLength && Math.Abs(c.Length - word.Length) <= limit)
            .Select(c => (c, d: Distance(word, c))).OrderBy(x => x.d).FirstOrDefault();
        return best.c is not null && best.d <= limit ? best.c : null;
    }

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions, one each.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
