using Expt.Spec;

namespace Expt.Expressions;

/// <summary>
/// A small boolean expression language for filtering points and trials:
/// <c>lr &gt; 0.01 and optimizer == "adam"</c>, <c>not (bs in [16, 32])</c>, <c>model.depth &gt;= 4 or status != 'failed'</c>.
/// Operators: <c>or and not == = != &lt; &lt;= &gt; &gt;= in</c> (also <c>&amp;&amp; || !</c>); literals: numbers, quoted
/// strings, true, false, null, lists <c>[a, b]</c>; names may be dotted. A missing name is null. A list-valued
/// parameter can be measured and indexed: <c>len(hidden_layers) == 2</c>, <c>hidden_layers[0] == 64</c>,
/// <c>hidden_layers[-1] &lt; 64</c>, <c>64 in hidden_layers</c>, <c>hidden_layers == [64, 32]</c>.
/// </summary>
public sealed partial class WhereExpression
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
        // A list literal is a list value: hidden_layers == [64, 32] compares item by item.
        public override object? Eval(TryLookup lookup) => new ParamList(Items.Select(i => ParamValues.Normalize(i.Eval(lookup))).ToList());
    }

    // len(x): the items of a list, the keys of a mapping, the characters of a string; null for anything else.
    private sealed record Length(Node Operand) : Node
    {
        public override object? Eval(TryLookup lookup) => Operand.Eval(lookup) switch
        {
            ParamList list => (long)list.Count,
            ParamMap map => (long)map.Count,
            string s => (long)s.Length,
            _ => null,
        };
    }

    // x[0], x[-1] (from the end, as in Python), x["key"]; out of range or the wrong kind of index is null.
    private sealed record Index(Node Target, Node Key) : Node
    {
        public override object? Eval(TryLookup lookup) => (Target.Eval(lookup), Key.Eval(lookup)) switch
        {
            (ParamList list, long i) when i >= -list.Count && i < list.Count => list[(int)(i < 0 ? list.Count + i : i)],
            (ParamMap map, string key) => map.TryGetValue(key, out var value) ? value : null,
            _ => null,
        };
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
                "in" => right is IReadOnlyList<object?> list && list.Any(r => ParamValues.AreEqual(left, r) || NumericEqual(left, r)),
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

    /// <inheritdoc />
    public override string ToString() => Text;
}
