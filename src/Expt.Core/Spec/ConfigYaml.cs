using System.Text;

namespace Expt.Spec;

/// <summary>
/// Writes a configuration tree back as YAML (<c>expt run --print-config</c>): block mappings, flow lists of plain
/// values, and a value quoted whenever reading it back would give something else (a string that looks like a number,
/// a boolean or null, or that holds YAML's own characters).
/// </summary>
public static class ConfigYaml
{
    /// <summary>The YAML text of <paramref name="root"/>.</summary>
    public static string Write(ConfigMapping root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var text = new StringBuilder();
        WriteMapping(text, root, 0);
        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, ConfigMapping mapping, int indent)
    {
        foreach (var entry in mapping.Entries)
        {
            text.Append(' ', indent).Append(Key(entry.Key)).Append(':');
            WriteValue(text, entry.Value, indent);
        }
    }

    private static void WriteValue(StringBuilder text, ConfigNode node, int indent)
    {
        switch (node)
        {
            case ConfigScalar scalar:
                text.Append(' ').Append(Scalar(scalar)).Append('\n');
                break;
            case ConfigMapping { Entries.Count: 0 }:
                text.Append(" {}\n");
                break;
            case ConfigMapping mapping:
                text.Append('\n');
                WriteMapping(text, mapping, indent + 2);
                break;
            case ConfigSequence sequence when sequence.Items.All(i => i is ConfigScalar { Quoted: true } || (i is ConfigScalar plain && FlowSafe(plain.Text))):
                text.Append(" [").Append(string.Join(", ", sequence.Items.Cast<ConfigScalar>().Select(Scalar))).Append("]\n");
                break;
            case ConfigSequence sequence:
                text.Append('\n');
                foreach (var item in sequence.Items)
                {
                    text.Append(' ', indent + 2).Append('-');
                    if (item is ConfigMapping { Entries.Count: > 0 } map)
                    {
                        // The first key on the dash's line, the others under it.
                        var inner = new StringBuilder();
                        WriteMapping(inner, map, indent + 4);
                        text.Append(' ').Append(inner.ToString().TrimStart());
                    }
                    else
                    {
                        WriteValue(text, item, indent + 2);
                    }
                }
                break;
        }
    }

    private static string Key(string key) => FlowSafe(key) && ScalarResolver.Resolve(key) is string ? key : Quote(key);

    private static string Scalar(ConfigScalar scalar)
    {
        if (!scalar.Quoted)
        {
            // Read as plain text it was: written back plain (quoting would make a sweep expression a mere string).
            return IsPlain(scalar.Text) || ScalarResolver.Resolve(scalar.Text) is not string ? scalar.Text : Quote(scalar.Text);
        }
        // A string stays a string: quoted when plain text would read as a number, a boolean or null.
        return FlowSafe(scalar.Text) && ScalarResolver.Resolve(scalar.Text) is string ? scalar.Text : Quote(scalar.Text);
    }

    // Safe as a plain scalar in block context (a mapping's value).
    private static bool IsPlain(string text) =>
        text.Length > 0
        && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1])
        && "-?:,[]{}#&*!|>'\"%@`".IndexOf(text[0], StringComparison.Ordinal) < 0
        && !text.Contains(": ", StringComparison.Ordinal) && !text.Contains(" #", StringComparison.Ordinal)
        && !text.EndsWith(':') && text.All(c => c >= ' ' && c != '\u007f');

    // Safe inside [ ... ] too.
    private static bool FlowSafe(string text) => (IsPlain(text) || ScalarResolver.Resolve(text) is not string) && text.IndexOfAny([',', '[', ']', '{', '}']) < 0;

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when c < ' ' || c == '\u007f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }
}
