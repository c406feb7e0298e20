using System.Text;

namespace Expt.Text;

/// <summary>
/// Makes untrusted text safe to print on a terminal: control characters (ESC and the rest of C0, DEL, C1) and
/// bidirectional overrides are shown as escapes (<c>\e</c>, <c>\x07</c>, <c>\u202e</c>) instead of being obeyed, so a
/// parameter value, a result or a trial's stderr cannot move the cursor, retitle the window or hide text.
/// </summary>
public static class TerminalText
{
    /// <summary>Escapes every control character; with <paramref name="keepLines"/>, newlines and tabs stay.</summary>
    public static string Escape(string text, bool keepLines = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfUnsafe(text, keepLines);
        if (first < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 16);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(c, keepLines))
            {
                sb.Append(c);
                continue;
            }
            sb.Append(c switch
            {
                '\u001b' => "\\e",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\0' => "\\0",
                < '\u0100' => $"\\x{(int)c:x2}",
                _ => $"\\u{(int)c:x4}",
            });
        }
        return sb.ToString();
    }

    /// <summary>True when the text holds nothing <see cref="Escape"/> would change.</summary>
    public static bool IsSafe(string text, bool keepLines = false) => IndexOfUnsafe(text ?? string.Empty, keepLines) < 0;

    private static int IndexOfUnsafe(string text, bool keepLines)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i], keepLines))
            {
                return i;
            }
        }
        return -1;
    }

    private static bool IsUnsafe(char c, bool keepLines) => c switch
    {
        '\n' or '\t' => !keepLines,
        < ' ' or '\u007f' => true,
        >= '\u0080' and <= '\u009f' => true,
        // Bidirectional embeddings, overrides and isolates reorder what the reader sees ("Trojan Source").
        >= '\u202a' and <= '\u202e' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => false,
    };
}
