using System.Globalization;
using System.Text;
using Expt.Spec;
using Expt.Trials;

namespace Expt.Expressions;

/// <summary>
/// A small boolean expression language for filtering points and trials:
/// <c>lr &gt; 0.01 and optimizer == "adam"</c>, <c>not (bs in [16, 32])</c>, <c>model.depth &gt;= 4 or status != 'failed'</c>.
/// Operators: <c>or and not == = != &lt; &lt;= &gt; &gt;= in</c> (also <c>&amp;&amp; || !</c>); literals: numbers, quoted
/// strings, true, false, null, lists <c>[a, b]</c>; names may be dotted. A missing name is null.
/// </summary>
public sealed class WhereExpression
{
    private readonly Node _root;

    private WhereExpression(string text, Node root, IReadOnlyList<string> names)
    {
        Text = text;
        _root = root;
        Names = names;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>Every name the expression reads.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Parses an expression.</summary>
    /// <exception cref="FormatException">The text is not a valid expression; the message says where and what was expected.</exception>
    public static WhereExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > InputLimits.MaxExpressionChars)
        {
            throw new FormatException($"the expression is {text.Length:N0} characters long, more than the limit of {InputLimits.MaxExpressionChars:N0}");
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException("the expression contains a NUL character");
        }
        var parser = new Parser(Tokenize(text));
        var root = parser.ParseOr();
        parser.ExpectEnd();
        return new WhereExpression(text, root, parser.Names.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Evaluates the expression; <paramref name="lookup"/> returns false for names it does not know.</summary>
    public bool Evaluate(TryLookup lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return Truthy(_root.Eval(lookup));
    }

    /// <summary>Finds the value of a name.</summary>
    public delegate bool TryLookup(string name, out object? value);

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        _ => ParamValues.ToDouble(value) != 0,
    };

    private abstract record Node
    {
        public abstract object? Eval(TryLookup lookup);
    }

    private sealed record Literal(object? Value) : Node
    {
        public override object? Eval(TryLookup lookup) => Value;
    }

    private sealed record Name(string Id) : Node
    {
        public override object? Eval(TryLookup lookup) => lookup(Id, out var value) ? value : null;
    }

    private sealed record ListNode(IReadOnlyList<Node> Items) : Node
    {
        public override object? Eval(TryLookup lookup) => Items.Select(i => i.Eval(lookup)).ToList();
    }

    // 'a or b or c ...' is one node with a list, evaluated in a loop: a chain of 10,000 ors cannot overflow the stack.
    private sealed record AnyOf(IReadOnlyList<Node> Operands) : Node
    {
        public override object? Eval(TryLookup lookup)
        {
            foreach (var operand in Operands)
            {
                if (Truthy(operand.Eval(lookup)))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed record AllOf(IReadOnlyList<Node> Operands) : Node
    {
        public override object? Eval(TryLookup lookup)
        {
            foreach (var operand in Operands)
            {
                if (!Truthy(operand.Eval(lookup)))
                {
                    return false;
                }
            }
            return true;
        }
    }

    private sealed record Not(Node Operand) : Node
    {
        public override object? Eval(TryLookup lookup) => !Truthy(Operand.Eval(lookup));
    }

    private sealed record Binary(string Op, Node Left, Node Right) : Node
    {
        public override object? Eval(TryLookup lookup)
        {
            var left = Left.Eval(lookup);
            var right = Right.Eval(lookup);
            return Op switch
            {
                "==" => ParamValues.AreEqual(left, right) || NumericEqual(left, right),
                "!=" => !(ParamValues.AreEqual(left, right) || NumericEqual(left, right)),
                "in" => right is List<object?> list && list.Any(r => ParamValues.AreEqual(left, r) || NumericEqual(left, r)),
                _ => Ordered(left, right),
            };
        }

        // In a filter, 16 == 16.0 is what a user means.
        private static bool NumericEqual(object? a, object? b) => ParamValues.IsNumber(a) && ParamValues.IsNumber(b) && ParamValues.ToDouble(a) == ParamValues.ToDouble(b);

        private bool Ordered(object? left, object? right)
        {
            var comparable = (ParamValues.IsNumber(left) && ParamValues.IsNumber(right)) || (left is string && right is string);
            if (!comparable)
            {
                return false;
            }
            var c = ParamValues.IsNumber(left) ? ParamValues.ToDouble(left).CompareTo(ParamValues.ToDouble(right)) : ParamValues.Compare(left, right);
            return Op switch
            {
                "<" => c < 0,
                "<=" => c <= 0,
                ">" => c > 0,
                ">=" => c >= 0,
                _ => false,
            };
        }
    }

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

    private sealed class Parser(List<Token> tokens)
    {
        private int _index;
        private int _depth;

        public List<string> Names { get; } = [];

        private Token Peek => tokens[_index];

        private bool Accept(Kind kind, string? text = null)
        {
            if (Peek.Kind == kind && (text is null || Peek.Text == text))
            {
                _index++;
                return true;
            }
            return false;
        }

        public void ExpectEnd()
        {
            if (Peek.Kind != Kind.End)
            {
                throw new FormatException($"unexpected '{InputLimits.Quote(Peek.Text)}' at column {Peek.Position + 1}; expected an operator (and, or, ==, <, in, ...) or the end");
            }
        }

        public Node ParseOr()
        {
            var operands = new List<Node> { ParseAnd() };
            while (Accept(Kind.Op, "or"))
            {
                operands.Add(ParseAnd());
            }
            return operands.Count == 1 ? operands[0] : new AnyOf(operands);
        }

        private Node ParseAnd()
        {
            var operands = new List<Node> { ParseNot() };
            while (Accept(Kind.Op, "and"))
            {
                operands.Add(ParseNot());
            }
            return operands.Count == 1 ? operands[0] : new AllOf(operands);
        }

        private Node ParseNot()
        {
            var negations = 0;
            while (Accept(Kind.Op, "not"))
            {
                negations++;
            }
            var operand = ParseComparison();
            return negations % 2 == 1 ? new Not(operand) : negations > 0 ? new Not(new Not(operand)) : operand;
        }

        /// <summary>Parentheses and lists nest by recursion: bounded, so 50,000 '(' is an error, not a crash.</summary>
        private void Enter(Token token)
        {
            if (++_depth > InputLimits.MaxNesting)
            {
                throw new FormatException($"nested more than {InputLimits.MaxNesting} levels deep at column {token.Position + 1}");
            }
        }

        private Node ParseComparison()
        {
            var left = ParsePrimary();
            if (Peek.Kind == Kind.Op && Peek.Text is "==" or "!=" or "<" or "<=" or ">" or ">=" or "in")
            {
                var op = Peek.Text;
                _index++;
                return new Binary(op, left, ParsePrimary());
            }
            if (Peek.Kind == Kind.Op && Peek.Text == "not" && tokens[_index + 1] is { Kind: Kind.Op, Text: "in" })
            {
                _index += 2;
                return new Not(new Binary("in", left, ParsePrimary()));
            }
            return left;
        }

        private Node ParsePrimary()
        {
            var token = Peek;
            _index++;
            switch (token.Kind)
            {
                case Kind.Number:
                    var number = ScalarResolver.Resolve(token.Text);
                    return ParamValues.IsNumber(number) ? new Literal(number) : throw new FormatException($"'{InputLimits.Quote(token.Text)}' at column {token.Position + 1} is not a number");
                case Kind.String:
                    return new Literal(token.Text);
                case Kind.Ident:
                    switch (token.Text)
                    {
                        case "true" or "True": return new Literal(true);
                        case "false" or "False": return new Literal(false);
                        case "null" or "None": return new Literal(null);
                    }
                    Names.Add(token.Text);
                    return new Name(token.Text);
                case Kind.LParen:
                    Enter(token);
                    var inner = ParseOr();
                    _depth--;
                    return Accept(Kind.RParen) ? inner : throw new FormatException($"expected ')' at column {Peek.Position + 1}");
                case Kind.LBracket:
                    Enter(token);
                    var items = new List<Node>();
                    if (!Accept(Kind.RBracket))
                    {
                        do
                        {
                            items.Add(ParsePrimary());
                        }
                        while (Accept(Kind.Comma));
                        if (!Accept(Kind.RBracket))
                        {
                            throw new FormatException($"expected ']' at column {Peek.Position + 1}");
                        }
                    }
                    _depth--;
                    return new ListNode(items);
                default:
                    throw new FormatException(token.Kind == Kind.End
                        ? "the expression ends too early; expected a name, a number or a string"
                        : $"unexpected '{InputLimits.Quote(token.Text)}' at column {token.Position + 1}; expected a name, a number or a string");
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>
    /// Evaluates the expression over one trial: its parameters, then its results, then the fields <c>id</c>,
    /// <c>study</c>, <c>status</c>, <c>replicate</c>, <c>seed</c>, <c>attempts</c>, <c>duration</c> (seconds),
    /// <c>host</c> and <c>exit_code</c>.
    /// </summary>
    public bool Matches(Storage.TrialRecord trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var results = Analysis.ResultValues.Parse(trial.ResultsJson);
        return Matches(trial, Spec.ParamSet.FromJson(trial.ParamsJson), name =>
        {
            var result = results.FirstOrDefault(r => r.Key == name);
            return (result.Key is not null, result.Value);
        });
    }

    /// <summary>As <see cref="Matches(Storage.TrialRecord)"/>, with the trial's parameters and results already parsed.</summary>
    public bool Matches(Storage.TrialRecord trial, ParamSet parameters, IReadOnlyDictionary<string, object?> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Matches(trial, parameters, name => results.TryGetValue(name, out var value) ? (true, value) : (false, null));
    }

    private bool Matches(Storage.TrialRecord trial, ParamSet parameters, Func<string, (bool Found, object? Value)> result)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(parameters);
        return Evaluate((string name, out object? value) =>
        {
            if (parameters.TryGetValue(name, out value))
            {
                return true;
            }
            var (found, resultValue) = result(name);
            if (found)
            {
                value = resultValue;
                return true;
            }
            value = name switch
            {
                "id" => trial.Id,
                "study" => trial.StudyName,
                "status" => trial.Status.ToName(),
                "replicate" => (long)trial.Replicate,
                "seed" => trial.Seed,
                "attempts" => (long)trial.Attempts,
                "duration" => trial.Duration?.TotalSeconds,
                "host" => trial.Host,
                "exit_code" => (long?)trial.ExitCode,
                _ => null,
            };
            return value is not null;
        });
    }

    /// <summary>Formats a value as a literal of this language.</summary>
    public static string Literalize(object? value) => value is string s ? "'" + s.Replace("'", "\\'", StringComparison.Ordinal) + "'" : ParamValues.Format(value).ToString(CultureInfo.InvariantCulture);
}
