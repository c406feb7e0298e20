using System.Text;
using Expt.Spec;

namespace Expt.Expressions;

// The lexer: the text as tokens, bounded in length (a long input is refused before it is read).
public sealed partial class WhereExpression
{
    private enum Kind { Number, String, Ident, Op, LParen, RParen, LBracket, RBracket, Comma, End }

    private sealed record Token(Kind Kind, string Text, int Position);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            var start = i;
            if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    sb.Append(text[i++]);
                }
                if (i >= text.Length)
                {
                    throw new FormatException($"unterminated string starting at column {start + 1}");
                }
                i++;
                tokens.Add(new Token(Kind.String, sb.ToString(), start));
            }
            else if (char.IsDigit(c) || (c is '.' or '-' or '+' && i + 1 < text.Length && (char.IsDigit(text[i + 1]) || text[i + 1] == '.') && IsOperandStart(tokens)))
            {
                i++;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.' || ((text[i] is '-' or '+') && (text[i - 1] is 'e' or 'E'))))
                {
                    i++;
                }
                tokens.Add(new Token(Kind.Number, text[start..i], start));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                // The first character always moves on: a name that could end where it starts would loop forever.
                i++;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || (text[i] is '.' or '-' && i + 1 < text.Length && char.IsLetter(text[i + 1]))))
                {
                    i++;
                }
                var word = text[start..i];
                tokens.Add(word is "and" or "or" or "not" or "in" ? new Token(Kind.Op, word, start) : new Token(Kind.Ident, word, start));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                if (two is "==" or "!=" or "<=" or ">=" or "&&" or "||")
                {
                    tokens.Add(new Token(Kind.Op, two switch { "&&" => "and", "||" => "or", _ => two }, start));
                    i += 2;
                    continue;
                }
                i++;
                tokens.Add(c switch
                {
                    '(' => new Token(Kind.LParen, "(", start),
                    ')' => new Token(Kind.RParen, ")", start),
                    '[' => new Token(Kind.LBracket, "[", start),
                    ']' => new Token(Kind.RBracket, "]", start),
                    ',' => new Token(Kind.Comma, ",", start),
                    '<' or '>' => new Token(Kind.Op, c.ToString(), start),
                    '=' => new Token(Kind.Op, "==", start),
                    '!' => new Token(Kind.Op, "not", start),
                    _ => throw new FormatException($"unexpected character '{InputLimits.Quote(c.ToString())}' at column {start + 1}"),
                });
            }
        }
        tokens.Add(new Token(Kind.End, string.Empty, text.Length));
        return tokens;
    }

    private static bool IsOperandStart(List<Token> tokens) =>
        tokens.Count == 0 || tokens[^1].Kind is Kind.Op or Kind.LParen or Kind.LBracket or Kind.Comma;
}
