using System.Globalization;
using Expt.Spec;

namespace Expt.Adaptive;

/// <summary>
/// When a point has enough replicates (<c>replications.until</c>): a condition over statistics of its completed
/// replicates, such as <c>ci95_halfwidth(loss) &lt; 0.02 * abs(mean(loss))</c> or <c>n &gt;= 10 and sd(loss) &lt; 0.1</c>.
/// </summary>
/// <remarks>
/// Statistics of a result: <c>mean sd var se median min max ci95_halfwidth ci99_halfwidth</c>, <c>bad</c> (the completed
/// replicates whose value is missing, NaN or infinite), and
/// <c>ci_halfwidth(m, level)</c> for another confidence level (Student's t, as every summary of Expt). <c>n</c> is the
/// number of completed replicates; <c>abs</c> and <c>sqrt</c> apply to numbers; <c>+ - * /</c>, comparisons and
/// <c>and or not</c> combine them. A statistic that is not defined yet (the spread of one value) is NaN, and a comparison
/// with NaN is false, so the rule is simply not met. The word <c>objective</c> names the study's first declared objective.
/// </remarks>
public sealed partial class StoppingRule
{
    /// <summary>The statistics a rule may take of a result, by name.</summary>
    public static readonly IReadOnlyList<string> Statistics =
        ["mean", "sd", "var", "se", "median", "min", "max", "ci95_halfwidth", "ci99_halfwidth", "ci_halfwidth", "bad"];

    private readonly Node _root;

    private StoppingRule(string text, string? objective, Node root, IReadOnlyList<string> metrics)
    {
        Text = text;
        Objective = objective;
        _root = root;
        Metrics = metrics;
    }

    /// <summary>The rule as written.</summary>
    public string Text { get; }

    /// <summary>The result the word <c>objective</c> stands for in this rule, or null when it names a result of that name.</summary>
    public string? Objective { get; }

    /// <summary>The results the rule reads, with <c>objective</c> resolved.</summary>
    public IReadOnlyList<string> Metrics { get; }

    /// <summary>Parses a rule.</summary>
    /// <param name="text">The rule.</param>
    /// <param name="objective">The metric the word <c>objective</c> stands for (the first declared objective), or null to read it as a result name.</param>
    /// <exception cref="FormatException">Not a valid rule; the message says at which column and what was expected.</exception>
    public static StoppingRule Parse(string text, string? objective = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > InputLimits.MaxExpressionChars)
        {
            throw new FormatException($"the rule is {text.Length:N0} characters long, more than the limit of {InputLimits.MaxExpressionChars:N0}");
        }
        var parser = new Parser(text, objective);
        var root = parser.ParseOr();
        parser.ExpectEnd();
        if (root is not (Compare or Logic or Not))
        {
            throw new FormatException("the rule is a number, not a condition; expected a comparison such as ci95_halfwidth(loss) < 0.01");
        }
        return new StoppingRule(text, objective, root, parser.Metrics.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether the rule is met by these completed replicates.</summary>
    /// <param name="values">The finite values of each result the rule reads, one per completed replicate that has it.</param>
    /// <param name="completed">The completed replicates (<c>n</c>).</param>
    public bool IsMet(Func<string, IReadOnlyList<double>> values, int completed)
    {
        ArgumentNullException.ThrowIfNull(values);
        return _root.Eval(new Scope(values, completed)) != 0;
    }

    /// <summary>The statistics the rule reads, with their values for these replicates: why a point stopped, for humans.</summary>
    public string Explain(Func<string, IReadOnlyList<double>> values, int completed)
    {
        ArgumentNullException.ThrowIfNull(values);
        var scope = new Scope(values, completed);
        var parts = new List<string> { "n = " + completed.ToString(CultureInfo.InvariantCulture) };
        var calls = Calls(_root).Distinct().ToList();
        foreach (var call in calls)
        {
            parts.Add($"{call} = {call.Eval(scope).ToString("G4", CultureInfo.InvariantCulture)}");
        }
        // Bad replicates explain a rule that cannot be met: said even when the rule does not count them.
        foreach (var metric in Metrics.Where(m => !calls.Any(c => c.Name == "bad" && c.Metric == m)))
        {
            if (Compute("bad", values(metric)) is var bad and > 0)
            {
                parts.Add($"bad({metric}) = {bad.ToString(CultureInfo.InvariantCulture)}");
            }
        }
        return string.Join(", ", parts);
    }

    private static IEnumerable<Statistic> Calls(Node node) => node switch
    {
        Statistic s => [s],
        Binary b => Calls(b.Left).Concat(Calls(b.Right)),
        Compare c => Calls(c.Left).Concat(Calls(c.Right)),
        Logic l => Calls(l.Left).Concat(Calls(l.Right)),
        Not n => Calls(n.Operand),
        Negate n => Calls(n.Operand),
        Function f => Calls(f.Argument),
        _ => [],
    };

    private sealed record Scope(Func<string, IReadOnlyList<double>> Values, int Completed);

    private abstract record Node
    {
        public abstract double Eval(Scope scope);
    }

    private sealed record Number(double Value) : Node
    {
        public override double Eval(Scope scope) => Value;
    }

    private sealed record Count : Node
    {
        public override double Eval(Scope scope) => scope.Completed;
    }

    private sealed record Statistic(string Name, string Metric, double Level) : Node
    {
        public override double Eval(Scope scope) => Compute(Name, scope.Values(Metric), Level);

        public override string ToString() => Name == "ci_halfwidth"
            ? $"ci_halfwidth({Metric}, {Level.ToString(CultureInfo.InvariantCulture)})"
            : $"{Name}({Metric})";
    }

    private sealed record Function(string Name, Node Argument) : Node
    {
        public override double Eval(Scope scope) => Name == "abs" ? Math.Abs(Argument.Eval(scope)) : Math.Sqrt(Argument.Eval(scope));
    }

    private sealed record Negate(Node Operand) : Node
    {
        public override double Eval(Scope scope) => -Operand.Eval(scope);
    }

    private sealed record Binary(char Op, Node Left, Node Right) : Node
    {
        public override double Eval(Scope scope)
        {
            var (a, b) = (Left.Eval(scope), Right.Eval(scope));
            return Op switch { '+' => a + b, '-' => a - b, '*' => a * b, _ => a / b };
        }
    }

    private sealed record Compare(string Op, Node Left, Node Right) : Node
    {
        public override double Eval(Scope scope)
        {
            var (a, b) = (Left.Eval(scope), Right.Eval(scope));
            // Every comparison with NaN is false (IEEE): a statistic not defined yet never meets the rule.
            var result = Op switch
            {
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                ">=" => a >= b,
                "==" => a == b,
                _ => !double.IsNaN(a) && !double.IsNaN(b) && a != b,
            };
            return result ? 1 : 0;
        }
    }

    private sealed record Logic(bool And, Node Left, Node Right) : Node
    {
        public override double Eval(Scope scope) => And
            ? (Left.Eval(scope) != 0 && Right.Eval(scope) != 0 ? 1 : 0)
            : (Left.Eval(scope) != 0 || Right.Eval(scope) != 0 ? 1 : 0);
    }

    private sealed record Not(Node Operand) : Node
    {
        public override double Eval(Scope scope) => Operand.Eval(scope) != 0 ? 0 : 1;
    }

    // The median of sorted values that may hold infinities (interpolating would multiply one by zero).
    private static double Middle(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] / 2) + (sorted[sorted.Length / 2] / 2);

    /// <summary>
    /// A statistic of a sample; NaN where it is not defined (no values, or one value for a spread). A bad replicate
    /// (its value the worst, ±∞, or NaN when the result has no goal) counts at that value: the mean becomes the worst (or
    /// NaN), min, max and median take it in their order, and every spread is NaN, so a point that diverged is never
    /// precise. <c>bad</c> counts them.
    /// </summary>
    internal static double Compute(string name, IReadOnlyList<double> values, double level = 0.95)
    {
        if (name == "bad")
        {
            return values.Count(v => !double.IsFinite(v));
        }
        if (values.Count == 0)
        {
            return double.NaN;
        }
        if (values.Any(v => !double.IsFinite(v)))
        {
            return name switch
            {
                "mean" => values.Any(double.IsNaN) ? double.NaN : values.Average(),
                "median" => values.Any(double.IsNaN) ? double.NaN : Middle([.. values.Order()]),
                "min" => values.Any(double.IsNaN) ? double.NaN : values.Min(),
                "max" => values.Any(double.IsNaN) ? double.NaN : values.Max(),
                _ => double.NaN,
            };
        }
        var d = Expt.Statistics.Descriptive.Of(values, name switch { "ci99_halfwidth" => 0.99, "ci_halfwidth" => level, _ => 0.95 });
        return name switch
        {
            "mean" => d.Mean,
            "sd" => d.Std,
            "var" => d.Std * d.Std,
            "se" => d.Sem,
            "median" => d.Median,
            "min" => d.Min,
            "max" => d.Max,
            _ => (d.CiHigh - d.CiLow) / 2,
        };
    }
}
