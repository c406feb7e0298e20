using Expt.Spec;

namespace Expt.Expressions;

// The parser: tokens to the syntax tree, with n-ary and/or so a long chain needs no deep recursion.
public sealed partial class WhereExpression
{
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
            var node = ParseAtom();
            // x[0], x[0][1], x["key"]: indexing binds tighter than any operator.
            while (Peek.Kind == Kind.LBracket)
            {
                var open = Peek;
                _index++;
                Enter(open);
                var key = ParseOr();
                _depth--;
                if (!Accept(Kind.RBracket))
                {
                    throw new FormatException($"expected ']' at column {Peek.Position + 1}");
                }
                node = new Index(node, key);
            }
            return node;
        }

        private Node ParseAtom()
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
                        case "len" when Peek.Kind == Kind.LParen:
                            var open = Peek;
                            _index++;
                            Enter(open);
                            var operand = ParseOr();
                            _depth--;
                            return Accept(Kind.RParen) ? new Length(operand) : throw new FormatException($"expected ')' at column {Peek.Position + 1}");
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
}
