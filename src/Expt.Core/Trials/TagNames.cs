namespace Expt.Trials;

/// <summary>What a trial tag may be: one word a shell and <c>expt tag +name -name</c> can carry unquoted.</summary>
public static class TagNames
{
    /// <summary>The longest tag, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="tag"/> cannot be a tag, or null when it can.</summary>
    public static string? Problem(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag.Length == 0)
        {
            return "a tag cannot be empty";
        }
        if (tag.Length > MaxLength)
        {
            return $"a tag is at most {MaxLength} characters";
        }
        // + and - say "add" and "remove" to expt tag, so a tag cannot start with them.
        if (tag[0] is '+' or '-' or '~')
        {
            return $"'{Expt.Text.TerminalText.Escape(tag)}': a tag cannot start with {tag[0]}";
        }
        foreach (var c in tag)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c == ',')
            {
                return $"'{Expt.Text.TerminalText.Escape(tag)}': a tag is one word, without spaces, commas or control characters";
            }
        }
        return null;
    }
}
