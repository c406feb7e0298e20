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
    /// <summary>Placeholders every trial provides besides its parameters.</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["seed", "trial_id", "replicate", "trial_dir", "study", "params_json"];

    [GeneratedRegex(@"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.\-]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    private readonly IReadOnlyList<string> _arguments;

    /// <summary>Parses a template.</summary>
    /// <exception cref="FormatException">Unbalanced quotes.</exception>
    public CommandTemplate(string text, bool shell)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        Shell = shell;
        _arguments = shell ? [text] : Split(text);
        if (_arguments.Count == 0)
        {
            throw new FormatException("the command is empty");
        }
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>Run through <c>/bin/sh -c</c>.</summary>
    public bool Shell { get; }

    /// <summary>Every placeholder name used.</summary>
    public IReadOnlyList<string> Placeholders =>
        Placeholder().Matches(Text).Where(m => m.Groups[1].Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

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
