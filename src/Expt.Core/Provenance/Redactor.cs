using System.Text.RegularExpressions;

namespace Expt.Provenance;

/// <summary>
/// Keeps secrets out of everything Expt stores or prints. One pass over any text masks: the password of URLs
/// (<c>postgresql://u:***@host</c>), connection-string passwords (<c>Password=***;</c>), the values of secret
/// options (<c>--password ***</c>, <c>--api-key=***</c>, also inside a <c>sh -c</c> script), and assignments to
/// secret-named variables (<c>DB_PASSWORD=***</c>, <c>api_key: ***</c>, <c>"token": "***"</c>) as they appear in
/// patches, configs and environment values. Placeholders (<c>{token}</c>) and references to variables
/// (<c>$DB_PASSWORD</c>, <c>${DB_PASSWORD}</c>) are not secrets and stay.
/// </summary>
public static partial class Redactor
{
    /// <summary>What replaces a secret.</summary>
    public const string Mask = "***";

    [GeneratedRegex(@"(?i)(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|cookie|session|signature|(^|[_-])key($|[_-]))", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^:/@\s]*):(?<password>[^@/\s]+)@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    // The Npgsql / ADO.NET form: "Host=db;Password=s3cret;..." (Password or Pwd, any case, up to the next ';').
    [GeneratedRegex(@"(?i)(?<key>(^|;)\s*(password|pwd)\s*=\s*)(?<value>[^;]*)", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    // A secret word ends the name: --api-token and DB_PASSWORD are secret, --tokenizer and password_file are not.
    private const string SecretWord = @"(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)(?![A-Za-z0-9])";

    // "--password hunter2", "--api-key=xyz", "-secret 'a b'": a secret-named option and its value, anywhere in a text.
    [GeneratedRegex(@"(?i)(?<![\w-])(?<flag>--?[A-Za-z0-9_\-]*?" + SecretWord + @")(?<sep>=|[ \t]+)(?<value>'[^']*'|""[^""]*""|[^\s'""]+)", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOptionInText();

    // "DB_PASSWORD=hunter2", "export API_TOKEN='x'", "password: x", "\"api_key\": \"x\"", "Password=x;".
    [GeneratedRegex(@"(?i)(?<![\w-])(?<name>[A-Za-z0-9_.\-]*?" + SecretWord + @")(?<quote>[""']?)(?<sep>[ \t]*[=:][ \t]*)(?<value>""[^""\n]*""|'[^'\n]*'|[^\s,;'""}]+)", RegexOptions.CultureInvariant)]
    private static partial Regex SecretAssignment();

    [GeneratedRegex(@"(?i)^(?<flag>--?[A-Za-z0-9_\-]*(pass(word|wd)?|secret|token|api[_-]?key|credential)[A-Za-z0-9_\-]*)(?<eq>=)(?<value>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOptionWithValue();

    /// <summary>True when a variable or option name looks like it holds a secret.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name ?? string.Empty);

    /// <summary>True for values that name a secret without holding it: a placeholder, a variable reference, a mask.</summary>
    private static bool IsReference(string value)
    {
        var bare = value.Trim('"', '\'');
        return bare.Length == 0 || bare == Mask || bare.StartsWith('$') || (bare.StartsWith('{') && bare.EndsWith('}')) || bare.StartsWith('-');
    }

    /// <summary>
    /// Masks every secret this class recognises inside a text: URL and connection-string passwords, secret option
    /// values and secret-named assignments (see the class summary).
    /// </summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = UrlPassword().Replace(text, m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@");
        masked = ConnectionStringPassword().Replace(masked, m => m.Groups["key"].Value + Mask);
        masked = SecretOptionInText().Replace(masked, m => IsReference(m.Groups["value"].Value) ? m.Value : m.Groups["flag"].Value + m.Groups["sep"].Value + Mask);
        return SecretAssignment().Replace(masked, m => IsReference(m.Groups["value"].Value)
            ? m.Value
            : m.Groups["name"].Value + m.Groups["quote"].Value + m.Groups["sep"].Value + Quoted(m.Groups["value"].Value));
    }

    // A masked value keeps the quotes it had, so masked JSON or YAML stays well-formed.
    private static string Quoted(string value) => value.Length > 1 && value[0] is '"' or '\'' && value[^1] == value[0] ? value[0] + Mask + value[0] : Mask;

    /// <summary>The value of a variable, masked when its name looks secret, else with any secret inside it masked.</summary>
    public static string RedactVariable(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // A secret-named variable is masked whatever it holds, unless it only refers to another variable ("${DB_PASSWORD}").
        return IsSecretName(name) && !value.StartsWith('$') ? Mask : RedactText(value);
    }

    /// <summary>A command line with secret option values and URL passwords masked (<c>--token X</c>, <c>--password=X</c>).</summary>
    public static IReadOnlyList<string> RedactArguments(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var withValue = SecretOptionWithValue().Match(arg);
            if (withValue.Success && !IsReference(withValue.Groups["value"].Value))
            {
                result.Add(withValue.Groups["flag"].Value + "=" + Mask);
            }
            else if (i > 0 && args[i - 1].StartsWith('-') && !args[i - 1].Contains('=', StringComparison.Ordinal) && IsSecretName(args[i - 1].TrimStart('-')) && !IsReference(arg))
            {
                result.Add(Mask);
            }
            else
            {
                result.Add(RedactText(arg));
            }
        }
        return result;
    }

    /// <summary>
    /// The secret values a text holds (what <see cref="RedactText"/> would mask), so they can also be masked where
    /// they appear on their own later (a trial echoing its own --password into stderr).
    /// </summary>
    public static IEnumerable<string> SecretsIn(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Match m in UrlPassword().Matches(text))
        {
            yield return m.Groups["password"].Value;
        }
        foreach (Match m in ConnectionStringPassword().Matches(text))
        {
            yield return m.Groups["value"].Value.Trim();
        }
        foreach (Match m in SecretOptionInText().Matches(text))
        {
            if (!IsReference(m.Groups["value"].Value))
            {
                yield return m.Groups["value"].Value.Trim('"', '\'');
            }
        }
        foreach (Match m in SecretAssignment().Matches(text))
        {
            if (!IsReference(m.Groups["value"].Value))
            {
                yield return m.Groups["value"].Value.Trim('"', '\'');
            }
        }
    }
}
