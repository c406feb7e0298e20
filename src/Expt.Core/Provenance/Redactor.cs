using System.Data.Common;
using System.Text.RegularExpressions;

namespace Expt.Provenance;

/// <summary>
/// Keeps secrets out of everything Expt stores or prints. One pass over any text masks:
/// <list type="bullet">
/// <item>the password of URLs (<c>postgresql://u:***@host</c>, also one holding <c>/</c> or <c>@</c>: up to the last
/// <c>@</c>);</item>
/// <item>connection-string passwords (<c>Password=***;</c>), read as ADO.NET reads them: a quoted value holding
/// <c>;</c> is masked whole;</item>
/// <item>the values of secret options (<c>--password ***</c>, <c>--api-key=***</c>, <c>--passphrase</c>, <c>--pw</c>,
/// <c>--auth</c>, <c>--key</c>, also inside a <c>sh -c</c> script, also a value that starts with <c>-</c>);</item>
/// <item>assignments to secret-named variables (<c>DB_PASSWORD=***</c>, <c>api_key: ***</c>, <c>"token": "***"</c>) as
/// they appear in patches, configs and environment values;</item>
/// <item>credentials in HTTP headers (<c>Authorization: Bearer ***</c>, <c>Basic</c>, <c>Token</c>);</item>
/// <item>tokens by their shape, wherever they are: GitHub (<c>ghp_</c>, <c>gho_</c>, <c>ghu_</c>, <c>ghs_</c>,
/// <c>ghr_</c>, <c>github_pat_</c>), GitLab (<c>glpat-</c>), AWS access key ids (<c>AKIA</c>, <c>ASIA</c>), Slack
/// (<c>xoxb-</c>, <c>xoxp-</c>...), OpenAI (<c>sk-</c>), Hugging Face (<c>hf_</c>) and JSON Web Tokens.</item>
/// </list>
/// Placeholders (<c>{token}</c>) and references to variables (<c>$DB_PASSWORD</c>, <c>${DB_PASSWORD}</c>) are not
/// secrets and stay.
/// </summary>
public static partial class Redactor
{
    /// <summary>What replaces a secret.</summary>
    public const string Mask = "***";

    [GeneratedRegex(@"(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|cookie|session|signature|(^|[_-])(key|pat|pw)($|[_-]))", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    // The password runs to the last '@' of the address (a raw '/' or '@' in it is common, though RFC 3986 would
    // encode it); quotes and whitespace end it, so masked JSON stays well-formed.
    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^:/@\s""'<>]*):(?<password>[^\s""'<>]+)@(?<host>[^\s""'<>@]*)", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    // The ADO.NET form, as its own parser reads it: "Password=s3cret;", "Pwd='a;b'", "password=""x"""...
    [GeneratedRegex(@"(?i)(?<key>(^|[;\s""'])\s*(password|pwd)\s*=\s*)(?<value>'(?:[^']|'')*'|""(?:[^""]|"""")*""|[^;""'\r\n]*)", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    // A secret word ends the name: --api-token and DB_PASSWORD are secret, --tokenizer and password_file are not.
    private const string SecretWord = @"(password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key|ssh[_-]?key|signing[_-]?key|credentials?)(?![A-Za-z0-9])";

    // Options that are secret by their whole name only: --key, --pw, --auth, --pat (but --keyboard, --author are not).
    private const string SecretFlagWord = @"(key|pw|auth|pat)(?![A-Za-z0-9_-])";

    // "--password hunter2", "--api-key=xyz", "-secret 'a b'", "--key -X": a secret-named option and its value, anywhere in a text.
    [GeneratedRegex(@"(?i)(?<![\w-])(?<flag>(--?[A-Za-z0-9_\-]*?" + SecretWord + @")|(--?" + SecretFlagWord + @"))(?<sep>=|[ \t]+)(?<value>'[^']*'|""[^""]*""|[^\s'""]+)", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOptionInText();

    // "DB_PASSWORD=hunter2", "export API_TOKEN='x'", "password: x", "\"api_key\": \"x\"", "Password=x;".
    [GeneratedRegex(@"(?i)(?<![\w-])(?<name>[A-Za-z0-9_.\-]*?" + SecretWord + @")(?<quote>[""']?)(?<sep>[ \t]*[=:][ \t]*)(?<value>""[^""\n]*""|'[^'\n]*'|[^\s,;'""}]+)", RegexOptions.CultureInvariant)]
    private static partial Regex SecretAssignment();

    [GeneratedRegex(@"(?i)^(?<flag>(--?[A-Za-z0-9_\-]*(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[A-Za-z0-9_\-]*)|(--?" + SecretFlagWord + @"))(?<eq>=)(?<value>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOptionWithValue();

    [GeneratedRegex(@"(?i)^--?([A-Za-z0-9_\-]*" + SecretWord + @"|" + SecretFlagWord + @")$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretFlag();

    // "Authorization: Bearer x", "Proxy-Authorization: Basic x", "Authorization: token x": the credential.
    [GeneratedRegex(@"(?i)(?<head>(proxy-)?authorization\s*:\s*(bearer|basic|token|digest)?\s*)(?<value>[^\s'""]+)", RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeader();

    // Tokens known by their shape: GitHub, GitLab, AWS access key ids, Slack, OpenAI, Hugging Face, JSON Web Tokens.
    [GeneratedRegex(@"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255}|glpat-[A-Za-z0-9_\-]{20,}|(AKIA|ASIA)[A-Z0-9]{16}|xox[abposr]-[A-Za-z0-9\-]{10,}|sk-(proj-|ant-)?[A-Za-z0-9_\-]{20,}|hf_[A-Za-z0-9]{30,}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})(?![A-Za-z0-9_])", RegexOptions.CultureInvariant)]
    private static partial Regex TokenShape();

    /// <summary>True when a variable or option name looks like it holds a secret.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name ?? string.Empty);

    /// <summary>True when a value has the shape of a known kind of token (a GitHub token, an AWS key id, a JWT...).</summary>
    public static bool HasTokenShape(string value) => TokenShape().IsMatch(value ?? string.Empty);

    /// <summary>
    /// True for a parameter name that can only mean a secret (<c>api_key</c>, <c>db_password</c>, <c>hf_token</c>...,
    /// but not <c>eos_token</c> nor <c>max_tokens</c>): such a value would be stored with every trial.
    /// </summary>
    public static bool IsSecretParameter(string name) => SecretParameter().IsMatch(name ?? string.Empty);

    [GeneratedRegex(@"(?i)(^|[_.\-])(password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|(api|auth|access|refresh|bearer|hf|github|gh|openai|wandb|slack)[_-]?token|pat)$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretParameter();

    /// <summary>True for values that name a secret without holding it: a placeholder, a variable reference, a mask.</summary>
    private static bool IsReference(string value)
    {
        var bare = value.Trim('"', '\'');
        return bare.Length == 0 || bare == Mask || bare.StartsWith('$') || (bare.StartsWith('{') && bare.EndsWith('}'));
    }

    /// <summary>
    /// Masks every secret this class recognises inside a text: URL and connection-string passwords, secret option
    /// values, secret-named assignments, authorization headers and token shapes (see the class summary).
    /// </summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = SecretOptionInText().Replace(text, m => IsReference(m.Groups["value"].Value) ? m.Value : m.Groups["flag"].Value + m.Groups["sep"].Value + Quoted(m.Groups["value"].Value));
        masked = SecretAssignment().Replace(masked, m => IsReference(m.Groups["value"].Value)
            ? m.Value
            : m.Groups["name"].Value + m.Groups["quote"].Value + m.Groups["sep"].Value + Quoted(m.Groups["value"].Value));
        return RedactShapes(masked);
    }

    /// <summary>
    /// Masks only what is a secret by its form, never by a name beside it: URL and connection-string passwords,
    /// authorization headers and token shapes. For data (results, metric names), where <c>"eos_token": "&lt;/s&gt;"</c>
    /// is an experiment's value, not a secret.
    /// </summary>
    public static string RedactShapes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = UrlPassword().Replace(text, m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@{m.Groups["host"].Value}");
        masked = ConnectionStringPassword().Replace(masked, m => IsReference(m.Groups["value"].Value) ? m.Value : m.Groups["key"].Value + Quoted(m.Groups["value"].Value));
        masked = AuthorizationHeader().Replace(masked, m => IsReference(m.Groups["value"].Value) ? m.Value : m.Groups["head"].Value + Mask);
        return TokenShape().Replace(masked, Mask);
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
            else if (i > 0 && SecretFlag().IsMatch(args[i - 1]) && !IsReference(arg))
            {
                // The value of a secret option, even one that starts with '-' (a password may).
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
    /// they appear on their own later (a trial echoing its own --password into stderr). A text that is a connection
    /// string is read with ADO.NET's own parser, so a quoted password is found whole.
    /// </summary>
    public static IEnumerable<string> SecretsIn(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ConnectionStringPasswordOf(text) is { } password)
        {
            yield return password;
        }
        foreach (Match m in UrlPassword().Matches(text))
        {
            yield return m.Groups["password"].Value;
        }
        foreach (Match m in ConnectionStringPassword().Matches(text))
        {
            if (!IsReference(m.Groups["value"].Value))
            {
                yield return Unquote(m.Groups["value"].Value);
            }
        }
        foreach (Match m in AuthorizationHeader().Matches(text))
        {
            if (!IsReference(m.Groups["value"].Value))
            {
                yield return m.Groups["value"].Value;
            }
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
        foreach (Match m in TokenShape().Matches(text))
        {
            yield return m.Value;
        }
    }

    /// <summary>The secret values of a command line (see <see cref="SecretsIn"/>), including a value after a secret option.</summary>
    public static IEnumerable<string> SecretsInArguments(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (var i = 0; i < args.Count; i++)
        {
            if (SecretOptionWithValue().Match(args[i]) is { Success: true } withValue && !IsReference(withValue.Groups["value"].Value))
            {
                yield return withValue.Groups["value"].Value;
            }
            else if (i > 0 && SecretFlag().IsMatch(args[i - 1]) && !IsReference(args[i]))
            {
                yield return args[i];
            }
            foreach (var secret in SecretsIn(args[i]))
            {
                yield return secret;
            }
        }
    }

    // ADO.NET's parser: "Host=db;Password='a;b'" gives a;b, quotes and doubled quotes read as the driver reads them.
    private static string? ConnectionStringPasswordOf(string text)
    {
        if (!text.Contains('=', StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal) || text.Length > 8192)
        {
            return null;
        }
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            foreach (var key in new[] { "password", "pwd" })
            {
                if (builder.TryGetValue(key, out var value) && value is string password && password.Length > 0 && !IsReference(password))
                {
                    return password;
                }
            }
        }
        catch (ArgumentException)
        {
            // Not a connection string.
        }
        return null;
    }

    private static string Unquote(string value) =>
        value.Length > 1 && value[0] is '\'' or '"' && value[^1] == value[0]
            ? value[1..^1].Replace(new string(value[0], 2), value[0].ToString(), StringComparison.Ordinal)
            : value;
}
