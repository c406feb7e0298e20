using System.Globalization;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>
/// Parses the sweep and distribution expressions allowed as parameter values:
/// <c>range(stop)</c>, <c>range(a, b)</c>, <c>range(a, b, step)</c>, <c>linspace(a, b, n)</c>, <c>logspace(e1, e2, n)</c>
/// (all expand to lists), and <c>uniform(a, b)</c>, <c>loguniform(a, b)</c>, <c>normal(mu, sigma)</c>,
/// <c>int(a, b)</c>, <c>choice(x, y, ...)</c> (random-search distributions).
/// </summary>
public static partial class SweepExpression
{
    /// <summary>The largest list one expression may expand to.</summary>
    public const int MaxValues = 10_000_000;

    [GeneratedRegex(@"^\s*([a-z_]+)\s*\((.*)\)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex CallPattern();

    [GeneratedRegex(@"^\s*([a-z_]+)\s*\(", RegexOptions.CultureInvariant)]
    private static partial Regex CallStart();

    private static readonly HashSet<string> Functions = ["range", "linspace", "logspace", "uniform", "loguniform", "normal", "int", "randint", "choice"];

    /// <summary>True when the text looks like a call of one of the known functions.</summary>
    public static bool IsExpression(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = CallPattern().Match(text);
        return match.Success && Functions.Contains(match.Groups[1].Value);
    }

    /// <summary>
    /// True when the text starts like a call of one of the known functions (<c>range(</c>...), complete or not: an
    /// unclosed <c>range(0, 5</c> is a mistake to report, not a string value.
    /// </summary>
    public static bool LooksLikeExpression(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = CallStart().Match(text);
        return match.Success && Functions.Contains(match.Groups[1].Value);
    }

    /// <summary>
    /// Parses an expression. Returns either the expanded values (sweeps) or a distribution; sets
    /// <paramref name="error"/> to a message saying what was expected when the text is not valid.
    /// </summary>
    public static bool TryParse(string text, out IReadOnlyList<object?>? values, out Distribution? distribution, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        values = null;
        distribution = null;
        error = null;
        if (text.Length > InputLimits.MaxExpressionChars)
        {
            error = $"the expression is {text.Length:N0} characters long, more than the limit of {InputLimits.MaxExpressionChars:N0}";
            return false;
        }
        var match = CallPattern().Match(text);
        if (!match.Success && LooksLikeExpression(text))
        {
            error = $"'{InputLimits.Quote(text.Trim())}' is not closed: expected {CallStart().Match(text).Groups[1].Value}(...) to end with ')'";
            return false;
        }
        if (!match.Success || !Functions.Contains(match.Groups[1].Value))
        {
            error = $"'{InputLimits.Quote(text)}' is not a sweep expression; expected range(...), linspace(...), logspace(...), uniform(...), loguniform(...), normal(...), int(...) or choice(...)";
            return false;
        }
        var name = match.Groups[1].Value;
        var args = SplitArguments(match.Groups[2].Value);
        try
        {
            switch (name)
            {
                case "range": values = Range(args); break;
                case "linspace": values = Linspace(args); break;
                case "logspace": values = Logspace(args); break;
                case "uniform": (var a, var b) = TwoNumbers(name, args); distribution = new Distribution.Uniform(a, b); break;
                case "normal": (var mu, var sigma) = TwoNumbers(name, args, ordered: false); distribution = sigma > 0 ? new Distribution.Normal(mu, sigma) : throw new FormatException("normal(mean, std): std must be positive"); break;
                case "loguniform":
                    (var lo, var hi) = TwoNumbers(name, args);
                    distribution = lo > 0 ? new Distribution.LogUniform(lo, hi) : throw new FormatException("loguniform(a, b): a and b must be positive");
                    break;
                case "int" or "randint":
                    var ints = args.Select(ParseArg).ToList();
                    if (ints.Count != 2 || ints[0] is not long il || ints[1] is not long ih)
                    {
                        throw new FormatException($"{name}(a, b) takes two integers");
                    }
                    distribution = il <= ih ? new Distribution.IntUniform(il, ih) : throw new FormatException($"{name}(a, b): a must not exceed b");
                    break;
                case "choice":
                    var options = args.Select(ParseArg).ToList();
                    distribution = options.Count > 0 ? new Distribution.Choice(options) : throw new FormatException("choice(...) needs at least one option");
                    break;
            }
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private static List<string> SplitArguments(string text)
    {
        var args = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return args;
        }
        var current = new System.Text.StringBuilder();
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                current.Append(c);
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                current.Append(c);
            }
            else if (c == ',')
            {
                args.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        args.Add(current.ToString().Trim());
        return args;
    }

    /// <summary>An argument: a number, a quoted string, true/false/null, or a bare word.</summary>
    private static object? ParseArg(string arg)
    {
        if (arg.Length >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg[^1] == arg[0])
        {
            return arg[1..^1];
        }
        return ScalarResolver.Resolve(arg);
    }

    private static object ParseNumberArg(string function, string arg)
    {
        var value = ParseArg(arg);
        return value is long or decimal or double ? value : throw new FormatException($"{function}(...): '{InputLimits.Quote(arg)}' is not a number");
    }

    private static (double, double) TwoNumbers(string name, List<string> args, bool ordered = true)
    {
        if (args.Count != 2)
        {
            throw new FormatException($"{name}(a, b) takes two numbers, got {args.Count}");
        }
        var a = ParamValues.ToDouble(ParseNumberArg(name, args[0]));
        var b = ParamValues.ToDouble(ParseNumberArg(name, args[1]));
        if (ordered && !(a < b))
        {
            throw new FormatException($"{name}(a, b): a must be less than b");
        }
        return (a, b);
    }

    private static string Show(List<string> args) => InputLimits.Quote(string.Join(", ", args));

    private static List<object?> Range(List<string> args)
    {
        if (args.Count is < 1 or > 3)
        {
            throw new FormatException($"range takes 1 to 3 arguments (stop | start, stop | start, stop, step), got {args.Count}");
        }
        var numbers = args.Select(a => ParseNumberArg("range", a)).ToList();
        var allIntegers = numbers.All(n => n is long);
        var doubleStart = numbers.Count == 1 ? 0 : ParamValues.ToDouble(numbers[0]);
        var doubleStop = ParamValues.ToDouble(numbers.Count == 1 ? numbers[0] : numbers[1]);
        var doubleStep = numbers.Count == 3 ? ParamValues.ToDouble(numbers[2]) : 1;
        if (doubleStep == 0)
        {
            throw new FormatException("range: step must not be zero");
        }
        if ((doubleStop - doubleStart) * doubleStep <= 0 && !allIntegers)
        {
            throw new FormatException($"range({Show(args)}) is empty: the step goes the wrong way or start equals stop");
        }
        // Count in doubles first: a step of 1e-300 or a stop of 1e300 must be refused for its size, not overflow.
        var approximate = Math.Ceiling((doubleStop - doubleStart) / doubleStep);
        if (!(approximate <= MaxValues))
        {
            throw new FormatException($"range({Show(args)}) has about {approximate.ToString("G3", CultureInfo.InvariantCulture).ToLowerInvariant()} values, more than the {MaxValues:N0} allowed");
        }
        if (!TryDecimal(numbers, out var exact))
        {
            // Beyond the decimal range: plain doubles, still i * step so values do not drift.
            return Enumerable.Range(0, (int)approximate).Select(i => (object?)ParamValues.NormalizeDouble(doubleStart + (i * doubleStep))).ToList();
        }
        var start = numbers.Count == 1 ? 0m : exact[0];
        var stop = numbers.Count == 1 ? exact[0] : exact[1];
        var step = numbers.Count == 3 ? exact[2] : 1m;
        if (step == 0)
        {
            throw new FormatException("range: step must not be zero");
        }
        if ((stop - start) * step <= 0)
        {
            throw new FormatException($"range({Show(args)}) is empty: the step goes the wrong way or start equals stop");
        }
        var count = Math.Ceiling((stop - start) / step);
        if (count > MaxValues)
        {
            throw new FormatException($"range({Show(args)}) has {count} values, more than the {MaxValues:N0} allowed");
        }
        var values = new List<object?>((int)count);
        // i * step, not repeated addition: each value is exact in decimal, so 0.1 steps never drift.
        for (var i = 0; i < (int)count; i++)
        {
            var v = start + (i * step);
            values.Add(allIntegers ? (object)(long)v : ParamValues.NormalizeDecimal(v));
        }
        return values;
    }

    /// <summary>The numbers as exact decimals; false when one is outside the decimal range (or too small to be one).</summary>
    private static bool TryDecimal(IReadOnlyList<object> numbers, out decimal[] exact)
    {
        exact = new decimal[numbers.Count];
        for (var i = 0; i < numbers.Count; i++)
        {
            switch (numbers[i])
            {
                case long l: exact[i] = l; break;
                case decimal m: exact[i] = m; break;
                case double d when double.IsFinite(d) && Math.Abs(d) < 7.9e27 && (d == 0 || Math.Abs(d) >= 1e-27):
                    exact[i] = (decimal)d;
                    break;
                default: return false;
            }
        }
        return true;
    }

    private static List<object?> Linspace(List<string> args)
    {
        if (args.Count != 3)
        {
            throw new FormatException($"linspace(start, stop, n) takes 3 arguments, got {args.Count}");
        }
        var bounds = new[] { ParseNumberArg("linspace", args[0]), ParseNumberArg("linspace", args[1]) };
        if (ParseArg(args[2]) is not long n || n < 1)
        {
            throw new FormatException($"linspace: n must be a positive integer, got '{InputLimits.Quote(args[2])}'");
        }
        if (n > MaxValues)
        {
            throw new FormatException($"linspace: n = {n} is more than the {MaxValues} allowed");
        }
        if (!TryDecimal(bounds, out var exact) || Math.Abs(exact[1] - exact[0]) > 7.9e27m)
        {
            var (a, b) = (ParamValues.ToDouble(bounds[0]), ParamValues.ToDouble(bounds[1]));
            if (!double.IsFinite(b - a))
            {
                throw new FormatException($"linspace({Show(args)}): the bounds are out of the float range");
            }
            return Enumerable.Range(0, (int)n).Select(i => (object?)ParamValues.NormalizeDouble(n == 1 ? a : a + ((b - a) * i / (n - 1)))).ToList();
        }
        var (start, stop) = (exact[0], exact[1]);
        var values = new List<object?>((int)n);
        for (var i = 0; i < n; i++)
        {
            values.Add(n == 1 ? ParamValues.NormalizeDecimal(start) : Exactish(start + ((stop - start) * i / (n - 1))));
        }
        return values;
    }

    private static List<object?> Logspace(List<string> args)
    {
        if (args.Count != 3)
        {
            throw new FormatException($"logspace(e1, e2, n) takes 3 arguments, got {args.Count}");
        }
        var exponents = new[] { ParseNumberArg("logspace", args[0]), ParseNumberArg("logspace", args[1]) };
        if (ParseArg(args[2]) is not long n || n < 1 || n > MaxValues)
        {
            throw new FormatException($"logspace: n must be a positive integer, got '{InputLimits.Quote(args[2])}'");
        }
        if (!TryDecimal(exponents, out var exact) || exact.Any(e => Math.Abs(e) > 307))
        {
            throw new FormatException($"logspace({Show(args)}): exponents must be between -307 and 307 (10^308 is beyond the float range)");
        }
        var (start, stop) = (exact[0], exact[1]);
        var values = new List<object?>((int)n);
        for (var i = 0; i < n; i++)
        {
            var exponent = n == 1 ? start : start + ((stop - start) * i / (n - 1));
            values.Add(exponent == decimal.Truncate(exponent) && Math.Abs(exponent) <= 20
                ? ParamValues.NormalizeDecimal(PowerOfTen((int)exponent))
                : ParamValues.NormalizeDouble(Math.Pow(10, (double)exponent)));
        }
        return values;
    }

    private static decimal PowerOfTen(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result = exponent > 0 ? result * 10 : result / 10;
        }
        return result;
    }

    // A decimal with a non-terminating expansion (1/3) is cut to 15 significant digits, like a double prints.
    private static decimal Exactish(decimal value)
    {
        if (value.Scale <= 15)
        {
            return ParamValues.NormalizeDecimal(value);
        }
        return ParamValues.NormalizeDecimal(decimal.Parse(((double)value).ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
