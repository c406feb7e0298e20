namespace Expt.Analysis;

/// <summary>
/// The order of a trial listing, one language for <c>expt ls --sort</c> and the dashboard's table: a result
/// (<c>loss</c>, or <c>r.loss</c>), a parameter (<c>p.lr</c>), a field (<see cref="ValueOrder.Fields"/>), the study's
/// first objective (<c>objective</c>), or <c>best</c> (best first by the declared goal); <c>seq</c> is plan order. A
/// leading <c>-</c> reverses it. Values compare as <see cref="ValueOrder"/> says: missing ones last either way.
/// </summary>
/// <param name="Key">What to order by, without the sign.</param>
/// <param name="Descending">Whether the order is reversed.</param>
public sealed record TrialSort(string Key, bool Descending)
{
    /// <summary>Plan order, the order trials are listed in without a sort.</summary>
    public const string Plan = "seq";

    /// <summary>
    /// Reads a sort as a user writes it (<c>-accuracy</c>); <paramref name="descending"/> reverses it once more (the
    /// dashboard's separate direction). Null for no text. Throws <see cref="FormatException"/> for a bare sign.
    /// </summary>
    public static TrialSort? Parse(string? text, bool descending = false)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return descending ? new TrialSort(Plan, true) : null;
        }
        var trimmed = text.Trim();
        var key = trimmed.TrimStart('-', '+');
        if (key.Length == 0)
        {
            throw new FormatException("expected a result name, objective, best or a field, e.g. -accuracy");
        }
        return new TrialSort(key, trimmed.StartsWith('-') != descending);
    }

    /// <summary>Whether the order needs the study's objective (<c>best</c>, <c>objective</c>).</summary>
    public bool ByObjective => Key is "best" or "objective";

    /// <summary>
    /// The positions of <paramref name="rows"/> in this order (stable: ties keep plan order). <paramref name="primary"/>
    /// is the listed study's first objective. Throws <see cref="FormatException"/> for an objective sort without
    /// one, or a name that is no field and no result of any row (with the closest name).
    /// </summary>
    public int[] Order(IReadOnlyList<TrialResult> rows, Objective? primary)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (Key == Plan)
        {
            var positions = Enumerable.Range(0, rows.Count).ToArray();
            if (Descending)
            {
                Array.Reverse(positions);
            }
            return positions;
        }
        var descending = Descending;
        Func<TrialResult, object?> value;
        if (ByObjective)
        {
            var metric = primary?.Metric ?? throw new FormatException($"{Key}: the study declares no objective; add one to its file (objectives: {{loss: minimize}}), or sort by a result: loss, -accuracy");
            if (Key == "best")
            {
                // Best first; "-best" puts the worst first.
                descending = (primary.Goal == Goal.Maximize) != Descending;
            }
            value = r => r.Number(metric);
        }
        else if (Key.StartsWith("p.", StringComparison.Ordinal))
        {
            var name = Key[2..];
            // A name no listed trial has would sort nothing and say nothing: it is a typo until shown otherwise.
            Known(name, rows.SelectMany(r => r.Params.Names), "parameter", "p.");
            value = r => r.Params.TryGetValue(name, out var v) ? v : null;
        }
        else if (Key.StartsWith("r.", StringComparison.Ordinal))
        {
            var name = Key[2..];
            Known(name, rows.SelectMany(r => r.Results.Keys), "result", "r.");
            value = r => r.Results.GetValueOrDefault(name);
        }
        else if (ValueOrder.Field(Key) is { } field)
        {
            value = r => field(r.Record);
        }
        else if (Resources.TrialUsage.MetricNames.Contains(Key) && !rows.Any(r => r.Results.ContainsKey(Key)))
        {
            value = r => ResultValues.Number(r.Record, Key);
        }
        else
        {
            var names = rows.SelectMany(r => r.Results.Keys).Distinct(StringComparer.Ordinal).ToList();
            if (rows.Count > 0 && !names.Contains(Key))
            {
                var suggestion = Text.Suggestions.Closest(Key, names.Concat(["best", "objective"]).Concat(ValueOrder.Fields).Concat(Resources.TrialUsage.MetricNames));
                throw new FormatException($"no listed trial has a result '{Key}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; " +
                    $"expected a result ({(names.Count == 0 ? "none" : string.Join(", ", names.Take(20)))}), objective, best, p.PARAM, or one of {string.Join(", ", ValueOrder.Fields)}");
            }
            value = r => r.Results.GetValueOrDefault(Key);
        }
        return ValueOrder.Sort([.. rows.Select(value)], descending);
    }

    private static void Known(string name, IEnumerable<string> present, string kind, string prefix)
    {
        var names = present.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0 || names.Contains(name))
        {
            return;
        }
        var suggestion = Text.Suggestions.Closest(name, names);
        throw new FormatException($"no listed trial has a {kind} '{name}'{(suggestion is null ? string.Empty : $" (did you mean '{prefix}{suggestion}'?)")}; its {kind}s: {string.Join(", ", names.Take(20))}");
    }

    /// <inheritdoc />
    public override string ToString() => (Descending ? "-" : string.Empty) + Key;
}
