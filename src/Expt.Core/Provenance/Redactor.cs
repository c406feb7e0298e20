using System.Text.RegularExpressions;

namespace Expt.Provenance;

/// <summary>
/// Keeps secrets out of everything Expt stores or prints: values of variables whose names look like passwords,
/// tokens or keys, the password part of URLs, and the values of secret-looking command-line options.
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

    [GeneratedRegex(@"(?i)^(?<flag>--?[A-Za-z0-9_\-]*(pass(word|wd)?|secret|token|api[_-]?key|credential)[A-Za-z0-9_\-]*)(?<eq>=)(?<value>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOptionWithValue();

    /// <summary>True when a variable or option name looks like it holds a secret.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name ?? string.Empty);

    /// <summary>Masks the password part of URLs (<c>postgresql://user:***@host/db</c>) and connection strings (<c>Password=***</c>) inside a text.</summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = UrlPassword().Replace(text, m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@");
        return ConnectionStringPassword().Replace(masked, m => m.Groups["key"].Value + Mask);
    }

    /// <summary>The value of a variable, masked when its name looks secret, else with URL passwords masked.</summary>
    public static string RedactVariable(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return IsSecretName(name) ? Mask : RedactText(value);
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
            if (withValue.Success)
            {
                result.Add(withValue.Groups["flag"].Value + "=" + Mask);
            }
            else if (i > 0 && args[i - 1].StartsWith('-') && !args[i - 1].Contains('=', StringComparison.Ordinal) && IsSecretName(args[i - 1].TrimStart('-')))
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
}
