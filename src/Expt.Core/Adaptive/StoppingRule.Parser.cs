using System.Globalization;
using Expt.Spec;

namespace Expt.Adaptive;

// The parser: recursive descent straight over the text, bounded in nesting (a hostile rule cannot overflow the stack).
public sealed partial class StoppingRule
{
    private sealed class Parser(string text, string? objective)
    {
        private int _pos;
        private int _depth;

        public List<string> Metrics { get; } = [];

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos < text.Length)
            {
                throw Error($"unexpected '{text[_pos]}'; expected an operator (and, or, <, +, ...) or the end");
            }
        }

        public Node ParseOr()
        {
            Enter();
            var left = ParseAnd();
            while (TryWord("or") || TryOp("||"))
            {
                left = new Logic(false, left, ParseAnd());
            }
            _depth--;
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (TryWord("and") || TryOp("&&"))
            {
                left = new Logic(true, left, ParseNot());
            }
            return left;
        }

        private Node ParseNot()
        {
            if (TryWord("not") || (Peek('!') && !PeekOp("!=") && TryOp("!")))
            {
                Enter();
                var operand = ParseNot();
                _depth--;
                return new Not(operand);
            }
            return ParseComparison();
        }

        private Node ParseComparison()
        {
            var left = ParseSum();
            foreach (var op in new[] { "<=", ">=", "==", "!=", "<", ">", "=" })
            {
                if (TryOp(op))
                {
                    return new Compare(op == "=" ? "==" : op, left, ParseSum());
                }
            }
            return left;
        }

        private Node ParseSum() => ParseLeftAssociative(ParseProduct, '+', '-');

        private Node ParseProduct() => ParseLeftAssociative(ParseUnary, '*', '/');

        // One precedence level of arithmetic: operands joined by its operators, left to right.
        private Node ParseLeftAssociative(Func<Node> operand, char first, char second)
        {
            var left = operand();
            while (true)
            {
                var op = TryOp(first.ToString()) ? first : TryOp(second.ToString()) ? second : '\0';
                if (op == '\0')
                {
                    return left;
                }
                left = new Binary(op, left, operand());
            }
        }

        private Node ParseUnary()
        {
            if (TryOp("-"))
            {
                Enter();
                var operand = ParseUnary();
                _depth--;
                return new Negate(operand);
            }
            return ParseAtom();
        }

        private Node ParseAtom()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                throw Error("the rule ends too early; expected a number, n, or a statistic such as mean(loss)");
            }
            var c = text[_pos];
            if (c == '(')
            {
                _pos++;
                var inner = ParseOr();
                Expect(')');
                return inner;
            }
            if (char.IsDigit(c) || c == '.')
            {
                return new Number(ReadNumber());
            }
            if (!char.IsLetter(c) && c != '_')
            {
                throw Error($"unexpected '{c}'; expected a number, n, or a statistic such as mean(loss)");
            }
            var start = _pos;
            var name = ReadName();
            if (name == "n")
            {
                return new Count();
            }
            SkipSpace();
            if (!Peek('('))
            {
                var hint = Expt.Text.Suggestions.Closest(name, Statistics.Append("abs").Append("sqrt").Append("n"));
                throw Error($"'{name}' is not something a rule can read{(hint is null ? string.Empty : $" (did you mean '{hint}'?)")}; expected n, a number, " +
                    "or a statistic of a result such as mean(loss) or ci95_halfwidth(loss)", start);
            }
            _pos++;
            if (name is "abs" or "sqrt")
            {
                var argument = ParseOr();
                Expect(')');
                return new Function(name, argument);
            }
            if (!Statistics.Contains(name))
            {
                var hint = Expt.Text.Suggestions.Closest(name, Statistics.Append("abs").Append("sqrt"));
                throw Error($"unknown function '{name}'{(hint is null ? string.Empty : $" (did you mean '{hint}'?)")}; expected one of: {string.Join(", ", Statistics)}, abs, sqrt", start);
            }
            SkipSpace();
            if (_pos >= text.Length || !(char.IsLetter(text[_pos]) || text[_pos] == '_'))
            {
                throw Error($"{name}(...) takes the name of a result, such as {name}(loss)");
            }
            var metric = ReadName();
            if (metric == "objective" && objective is not null)
            {
                metric = objective;
            }
            Metrics.Add(metric);
            var level = 0.95;
            if (name == "ci_halfwidth")
            {
                Expect(',');
                SkipSpace();
                level = ReadNumber();
                if (!(level > 0 && level < 1))
                {
                    throw Error($"ci_halfwidth takes a confidence level between 0 and 1, such as 0.9; got {level.ToString(CultureInfo.InvariantCulture)}");
                }
            }
            Expect(')');
            return new Statistic(name, metric, level);
        }

        private double ReadNumber()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsDigit(text[_pos]) || text[_pos] is '.' or 'e' or 'E' || (text[_pos] is '+' or '-' && text[_pos - 1] is 'e' or 'E')))
            {
                _pos++;
            }
            var token = text[start.._pos];
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw Error($"'{token}' is not a number", start);
            }
            return value;
        }

        private string ReadName()
        {
            var start = _pos;
            // The first character always moves on; dots join the parts of a nested result (usage.peak_memory).
            _pos++;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_' || (text[_pos] == '.' && _pos + 1 < text.Length && char.IsLetter(text[_pos + 1]))))
            {
                _pos++;
            }
            if (_pos - start > InputLimits.MaxNameLength * 4)
            {
                throw Error("the name is too long", start);
            }
            return text[start.._pos];
        }

        private void Enter()
        {
            if (++_depth > InputLimits.MaxNesting)
            {
                throw Error($"the rule nests deeper than {InputLimits.MaxNesting} levels");
            }
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (!Peek(c))
            {
                throw Error(_pos >= text.Length ? $"the rule ends too early; expected '{c}'" : $"unexpected '{text[_pos]}'; expected '{c}'");
            }
            _pos++;
        }

        private bool Peek(char c) => _pos < text.Length && text[_pos] == c;

        private bool PeekOp(string op) => string.CompareOrdinal(text, _pos, op, 0, op.Length) == 0;

        private bool TryOp(string op)
        {
            SkipSpace();
            if (!PeekOp(op))
            {
                return false;
            }
            _pos += op.Length;
            return true;
        }

        private bool TryWord(string word)
        {
            SkipSpace();
            if (!PeekOp(word) || (_pos + word.Length < text.Length && (char.IsLetterOrDigit(text[_pos + word.Length]) || text[_pos + word.Length] == '_')))
            {
                return false;
            }
            _pos += word.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private FormatException Error(string message, int? at = null) => new($"at column {(at ?? _pos) + 1}: {message}");
    }
}
