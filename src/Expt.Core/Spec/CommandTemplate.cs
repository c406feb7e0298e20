using System.Text;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>
/// A command line with <c>{placeholders}</c>. Without a shell it is split into arguments the way a POSIX shell
/// would split it (quotes and backslashes), then placeholders are substituted inside each argument, so a value with
/// spaces stays one argument. With a shell, values are single-quoted before substitution.
/// </summary>
public sealed partial class CommandTemplate
{
    // The built-in placeholders and what each stands for, in one table: validation and substitution read the same.
    private static readonly (string Name, Func<TrialValues, string> Value)[] BuiltInTable =
    [
        ("seed", v => v.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("trial_id", v => v.TrialId),
        ("replicate", v => v.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("trial_dir", v => v.TrialDirectory),
        ("study", v => v.Study),
        ("params_json", v => v.ParamsJson),
    ];

    /// <summary>Placeholders every trial provides besides its parameters.</summary>
    public static readonly IReadOnlyList<string> BuiltIns = [.. BuiltInTable.Select(b => b.Name)];

    /// <summary>What the built-in placeholders stand for in one trial.</summary>
    public sealed record TrialValues(long Seed, string TrialId, int Replicate, string TrialDirectory, string Study, string ParamsJson);

    /// <summary>The value of built-in placeholder <paramref name="name"/> (one of <see cref="BuiltIns"/>) for a trial.</summary>
    public static string BuiltInValue(string name, TrialValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (builtIn, value) in BuiltInTable)
        {
            if (builtIn == name)
            {
                return value(values);
            }
        }
        throw new ArgumentException($"'{name}' is not a built-in placeholder", nameof(name));
    }

    /// <summary>
    /// Other names for built-ins, so a study whose parameters are called <c>seed</c>, <c>replicate</c> or
    /// <c>study</c> can still reach the trial's own (the parameter is then <c>{params.seed}</c>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["trial_seed"] = "seed",
        ["trial_replicate"] = "replicate",
        ["study_name"] = "study",
    };

    /// <summary>
    /// What a placeholder stands for: a built-in (aliases resolved) or a parameter (<c>params.</c> removed).
    /// </summary>
    public static (string? BuiltIn, string? Parameter) Resolve(string placeholder)
    {
        ArgumentNullException.ThrowIfNull(placeholder);
        if (Aliases.TryGetValue(placeholder, out var builtIn))
        {
            return (builtIn, null);
        }
        if (placeholder.StartsWith("params.", StringComparison.Ordinal))
        {
            return (null, placeholder["params.".Length..]);
        }
        return BuiltIns.Contains(placeholder) ? (placeholder, null) : (null, placeholder);
    }

    [GeneratedRegex(@"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.\-]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    private readonly IReadOnlyList<string> _arguments;

    /// <summary>Parses a template.</summary>
    /// <exception cref="FormatException">Unbalanced quotes.</exception>
    public CommandTemplate(string text, bool shell)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > InputLimits.MaxCommandChars)
        {
            throw new FormatException($"the command is {text.Length:N0} characters long, more than the limit of {InputLimits.MaxCommandChars:N0}");
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException("the command contains a NUL character, which no command line can carry");
        }
        CheckBraces(text);
        Text = text;
        Shell = shell;
        _arguments = shell ? [text] : Split(text);
        if (_arguments.Count == 0)
        {
            throw new FormatException("the command is empty");
        }
    }

    /// <summary>
    /// Braces outside placeholders must pair up: a lone <c>{x</c> or <c>x}</c> is a mistyped placeholder, not text
    /// to pass on. Paired literal braces (an awk program, a JSON object) stay as they are.
    /// </summary>
    private static void CheckBraces(string text)
    {
        var open = new Stack<int>();
        var i = 0;
        foreach (Match m in Placeholder().Matches(text))
        {
            Scan(text, i, m.Index, open);
            i = m.Index + m.Length;
        }
        Scan(text, i, text.Length, open);
        if (open.Count > 0)
        {
            throw new FormatException($"'{{' at column {open.Peek() + 1} is never closed; a placeholder is {{name}}, a literal brace is written {{{{");
        }
    }

    private static void Scan(string text, int from, int to, Stack<int> open)
    {
        for (var i = from; i < to; i++)
        {
            if (text[i] == '{')
            {
                open.Push(i);
            }
            else if (text[i] == '}' && !open.TryPop(out _))
            {
                throw new FormatException($"'}}' at column {i + 1} closes no '{{'; a placeholder is {{name}}, a literal brace is written }}}}");
            }
        }
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>Run through <c>/bin/sh -c</c>.</summary>
    public bool Shell { get; }

    /// <summary>Every placeholder name used.</summary>
    public IReadOnlyList<string> Placeholders =>
        Placeholder().Matches(Text).Where(m => m.Groups[1].Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// True for a value that can reach a shell (or any interpreter) without being code: a plain word of letters,
    /// digits and <c>_ - . , / : = + @ %</c>. Numbers are plain words; <c>$(rm -rf ~)</c>, <c>a b</c> and <c>'</c> are not.
    /// </summary>
    public static bool IsPlainWord(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or '/' or ':' or '=' or '+' or '@' or '%');
    }

    /// <summary>
    /// Placeholders whose values would be read as code by whatever receives them, each with where it stands. The rule,
    /// one for every program (a wrapper such as <c>timeout</c>, <c>nice</c>, <c>srun</c>, <c>env -i</c>, <c>find -exec</c>,
    /// <c>xargs</c> or <c>ssh</c> cannot hide it), is decided from the command alone:
    /// <list type="bullet">
    /// <item>without a shell, a placeholder inside an argument that holds anything but plain-word characters (a space,
    /// a quote, <c>$ ; | &amp; &lt; &gt; ( )</c>...): such an argument is code for whatever reads it (<c>sh -c 'echo {v}'</c>,
    /// <c>ssh host 'cd {v}'</c>, <c>su -c</c>, <c>find -exec sh -c</c>);</item>
    /// <item>a placeholder that is the command string given to <c>-c</c> (<c>sh -c {v}</c>, <c>python3 -c {v}</c>), or
    /// an argument of <c>eval</c> or of the remote command of <c>ssh HOST</c>: the value itself is the code;</item>
    /// <item>with <c>shell: true</c>, a placeholder inside quotes (Expt's quoting is then inside the user's), or standing
    /// as the <c>-c</c> command or an argument of <c>eval</c> in the shell text.</item>
    /// </list>
    /// Bare placeholders as ordinary arguments, and <c>sh -c</c>'s positional arguments (<c>sh -c '... "$1"' sh {v}</c>),
    /// are data. What stands in code must hold plain words only (see <see cref="IsPlainWord"/>); the binder checks the
    /// values of the study, <c>expt add</c> the values it adds.
    /// </summary>
    public IReadOnlyList<(string Name, string Where)> PlaceholdersReadAsCode()
    {
        var found = new List<(string Name, string Where)>();
        if (Shell)
        {
            var state = QuoteStates(Text);
            foreach (Match m in Placeholder().Matches(Text))
            {
                if (m.Groups[1].Success && state[m.Index] != '\0')
                {
                    found.Add((m.Groups[1].Value, state[m.Index] == '\'' ? "inside single quotes" : "inside double quotes"));
                }
            }
            // The shell's own words: the value (quoted by Expt) given to -c or eval is run as code all the same.
            IReadOnlyList<string> words;
            try
            {
                words = Split(Text);
            }
            catch (FormatException)
            {
                return found;
            }
            found.AddRange(CommandPositions(words));
            return [.. found.DistinctBy(f => f.Name)];
        }
        foreach (var argument in _arguments)
        {
            if (!Placeholder().IsMatch(argument) || IsPlainWord(WithoutPlaceholders(argument)))
            {
                continue;
            }
            foreach (Match m in Placeholder().Matches(argument))
            {
                if (m.Groups[1].Success)
                {
                    found.Add((m.Groups[1].Value, $"inside the argument '{Quoted(argument)}', which holds spaces or shell syntax: it is code for whatever reads it (sh -c, ssh, su -c, find -exec...)"));
                }
            }
        }
        found.AddRange(CommandPositions(_arguments));
        return [.. found.DistinctBy(f => f.Name)];
    }

    /// <summary>Placeholders standing whole where a program takes code: after <c>-c</c>, after <c>eval</c>, in <c>ssh HOST</c>'s command.</summary>
    private static IEnumerable<(string Name, string Where)> CommandPositions(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var program = Path.GetFileName(args[i]);
            string? where = null;
            var from = i + 1;
            if (i > 0 && IsCommandOption(args[i - 1]))
            {
                where = $"as the command string of '{args[i - 1]}'";
                from = i;
            }
            else if (program == "eval")
            {
                where = "as an argument of eval";
            }
            else if (program == "ssh")
            {
                // ssh's options, then the host; everything after is the remote command, joined and run by a shell there.
                var host = i + 1;
                while (host < args.Count && args[host].StartsWith('-'))
                {
                    host += args[host].Length == 2 && "bcDEeFIiJLlmOopQRSWw".Contains(args[host][1], StringComparison.Ordinal) ? 2 : 1;
                }
                where = "in the remote command of ssh";
                from = host + 1;
            }
            if (where is null)
            {
                continue;
            }
            for (var j = from; j < (where.StartsWith("as the command", StringComparison.Ordinal) ? i + 1 : args.Count); j++)
            {
                foreach (Match m in Placeholder().Matches(args[j]))
                {
                    if (m.Groups[1].Success)
                    {
                        yield return (m.Groups[1].Value, where);
                    }
                }
            }
        }
    }

    // -c, or short options bundled with c last (-ec, -lc, -xc): the next argument is a command string.
    private static bool IsCommandOption(string arg) => arg.Length >= 2 && arg[0] == '-' && arg[1] != '-' && arg[^1] == 'c' && arg.Skip(1).All(char.IsAsciiLetter);

    private static string WithoutPlaceholders(string argument) => Placeholder().Replace(argument, m => m.Groups[1].Success ? string.Empty : "{");

    private static string Quoted(string argument) => argument.Length > 60 ? argument[..57] + "..." : argument;

    /// <summary>For each character of a POSIX shell text: the quote it is inside (<c>'</c> or <c>"</c>), or <c>\0</c>.</summary>
    private static char[] QuoteStates(string text)
    {
        var states = new char[text.Length];
        var quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            states[i] = quote;
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                states[++i] = quote;
            }
            else if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
        }
        return states;
    }

    /// <summary>
    /// The longest argument this template can render, given the longest value of each placeholder: Linux refuses a
    /// single argument longer than 128 KiB, and that is better found before a trial runs.
    /// </summary>
    public long LongestArgument(Func<string, long> longestValue)
    {
        ArgumentNullException.ThrowIfNull(longestValue);
        long longest = 0;
        foreach (var argument in _arguments)
        {
            long length = argument.Length;
            foreach (Match m in Placeholder().Matches(argument))
            {
                // In shell mode a value is quoted: up to 4 characters per quote in it, and 2 around it.
                var value = longestValue(m.Groups[1].Success ? m.Groups[1].Value : string.Empty);
                length += (m.Groups[1].Success ? (Shell ? (value * 4) + 2 : value) : 1) - m.Length;
            }
            longest = Math.Max(longest, length);
        }
        return longest;
    }

    /// <summary>The environment variable that carries a parameter to a command trial: <c>model.depth</c> → <c>EXPT_PARAM_MODEL_DEPTH</c>.</summary>
    public static string EnvironmentName(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var sb = new StringBuilder("EXPT_PARAM_", 11 + parameter.Length);
        foreach (var c in parameter)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }
        return sb.ToString();
    }

    /// <summary>The program and its arguments for one trial.</summary>
    public IReadOnlyList<string> Render(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        if (Shell)
        {
            return ["/bin/sh", "-c", Substitute(Text, name => QuoteForShell(lookup(name) ?? string.Empty))];
        }
        return _arguments.Select(a => Substitute(a, name => lookup(name) ?? string.Empty)).ToList();
    }

    /// <summary>Replaces the placeholders of any text (<c>{{</c> and <c>}}</c> are literal braces), unquoted.</summary>
    public static string Fill(string text, Func<string, string> value)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(value);
        return Substitute(text, value);
    }

    private static string Substitute(string text, Func<string, string> value) =>
        Placeholder().Replace(text, m => m.Value switch
        {
            "{{" => "{",
            "}}" => "}",
            _ => value(m.Groups[1].Value),
        });

    /// <summary>Quotes a value for a POSIX shell.</summary>
    public static string QuoteForShell(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/' or '=' or ':' or ',' or '+')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Splits a command line into arguments like a POSIX shell (no expansion).</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var args = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    args.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw new FormatException("unbalanced single quote in the command");
                }
                current.Append(text, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                    {
                        i++;
                    }
                    current.Append(text[i++]);
                }
                if (i >= text.Length)
                {
                    throw new FormatException("unbalanced double quote in the command");
                }
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
            }
            else
            {
                current.Append(c);
            }
        }
        if (inWord)
        {
            args.Add(current.ToString());
        }
        return args;
    }
}
