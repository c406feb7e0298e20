using System.Diagnostics;
using Expt.Execution;
using Expt.Expressions;
using Expt.Provenance;
using Expt.Spec;
using FsCheck;
using FsCheck.Fluent;

namespace Expt.Core.Tests;

/// <summary>
/// Property-based tests of every parser of user input: whatever the text, the parser ends in a value or in its own
/// clean error (a <see cref="SpecException"/> or <see cref="FormatException"/>), never another exception, and
/// within a bounded time. Inputs are random texts over each parser's own alphabet and mutations of valid inputs.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    private static Config Runs(int count) => Config.QuickThrowOnFailure.WithMaxTest(count).WithEndSize(200);

    /// <summary>Texts over an alphabet, mixed with fragments that parsers treat specially.</summary>
    private static Arbitrary<string> Texts(string alphabet, params string[] fragments)
    {
        var piece = Gen.OneOf(
            Gen.Elements(alphabet.ToCharArray()).Select(c => c.ToString()),
            Gen.Elements(fragments.Length == 0 ? [string.Empty] : fragments));
        return Gen.ListOf(piece).Select(parts => string.Concat(parts)).ToArbitrary();
    }

    /// <summary>A valid input with random edits (insert, delete, replace), which reaches deeper into a parser than noise.</summary>
    private static Arbitrary<string> Mutations(string valid, string alphabet)
    {
        var edit = Gen.Zip(Gen.Zip(Gen.Choose(0, valid.Length), Gen.Choose(0, 2)), Gen.Elements(alphabet.ToCharArray()), (position, c) => (At: position.Item1, Kind: position.Item2, C: c));
        return Gen.ListOf(edit).Select(edits =>
        {
            var text = valid;
            foreach (var (at, kind, c) in edits.Select(e => (e.At, e.Kind, e.C)))
            {
                var i = Math.Min(at, text.Length);
                text = kind switch
                {
                    0 => text.Insert(i, c.ToString()),
                    1 when i < text.Length => text.Remove(i, 1),
                    _ when i < text.Length => text[..i] + c + text[(i + 1)..],
                    _ => text + c,
                };
            }
            return text;
        }).ToArbitrary();
    }

    private static void Bounded(Action parse, params Type[] clean)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            parse();
        }
        catch (Exception ex) when (clean.Contains(ex.GetType()))
        {
        }
        clock.Elapsed.ShouldBeLessThan(Budget);
    }

    private const string YamlAlphabet = "abcxyz019.-_:{}[],&*!|>'\"#%@`?~ \n\t\\";

    private const string ValidStudy = "name: s\ncommand: run {x} {y}\nparams:\n  x: [1, 2.5, 'a']\n  y: range(0, 3)\n  m.depth: linspace(0, 1, 3)\nlinked:\n  - {a: [1, 2], b: [3, 4]}\nexclude: [{x: 1}]\nwhere: 'y > 0 or x == \"a\"'\nreplications: 2\ntimeout: 10m\nenv:\n  A: b\n";

    [Fact]
    public void Study_files_parse_or_fail_cleanly() =>
        Prop.ForAll(Texts(YamlAlphabet, "params:\n", "  x: ", "range(", "&a ", "*a", "- ", "---\n", "!!str ", "!tag "), text =>
            Bounded(() => StudySpecBinder.Bind(YamlConfigReader.Parse(text, "f.yaml"), new BindOptions()), typeof(SpecException))).Check(Runs(2000));

    [Fact]
    public void Mutated_study_files_parse_or_fail_cleanly() =>
        Prop.ForAll(Mutations(ValidStudy, YamlAlphabet), text =>
            Bounded(() => StudySpecBinder.Bind(YamlConfigReader.Parse(text, "f.yaml"), new BindOptions()), typeof(SpecException))).Check(Runs(2000));

    [Fact]
    public void Overrides_apply_or_fail_cleanly() =>
        Prop.ForAll(Texts("xyzabc019.,=[]()'\" +~-:{}", "range(", "timeout=", "replications=", "params.", "linspace("), text =>
            Bounded(() => StudySpecBinder.Bind(ConfigOverrides.Apply(YamlConfigReader.Parse("name: s\ncommand: run {x}\nparams:\n  x: 1\n", "f.yaml"), [text]), new BindOptions()), typeof(SpecException))).Check(Runs(2000));

    [Fact]
    public void Sweep_expressions_parse_or_fail_cleanly() =>
        Prop.ForAll(Texts("0123456789.,-+e() 'a\"", "range(", "linspace(", "logspace(", "uniform(", "int(", "choice(", "1e300", "1e-300", ".inf", ".nan", "9223372036854775807"), text =>
            Bounded(() => SweepExpression.TryParse(text, out _, out _, out _))).Check(Runs(3000));

    [Fact]
    public void Where_expressions_parse_and_evaluate_or_fail_cleanly() =>
        Prop.ForAll(Texts("xy019.'\"()[]<>=!&|, ", "and ", "or ", "not ", " in ", "==", "null", "true"), text =>
            Bounded(() =>
            {
                var expression = WhereExpression.Parse(text);
                expression.Evaluate((string name, out object? value) =>
                {
                    value = name == "x" ? 1L : "a";
                    return true;
                });
            }, typeof(FormatException))).Check(Runs(3000));

    [Fact]
    public void Stopping_rules_parse_and_evaluate_or_fail_cleanly() =>
        Prop.ForAll(Texts("nxy019.()<>=!&|,-+*/ e", "mean(", "ci95_halfwidth(", "ci_halfwidth(x, ", "abs(", "sqrt(", "and ", "or ", "not ", "objective", "1e308"), text =>
            Bounded(() =>
            {
                var rule = Adaptive.StoppingRule.Parse(text, "loss");
                rule.IsMet(_ => [1.0, 2.0, double.MaxValue], 3);
                rule.Explain(_ => [], 0);
            }, typeof(FormatException))).Check(Runs(3000));

    [Fact]
    public void Mutated_adaptive_studies_bind_or_fail_cleanly() =>
        Prop.ForAll(Mutations("name: s\ncommand: run {x}\nparams: {x: [1, 2]}\nobjectives: {loss: minimize}\nrace: {metric: loss, test: friedman, alpha: 0.05, min_replications: 3, max_replications: 9}\nreplications: {min: 2, max: 5, until: 'se(loss) < 0.1 and n > 2'}\n", YamlAlphabet + "()<"), text =>
            Bounded(() => StudySpecBinder.Bind(YamlConfigReader.Parse(text, "f.yaml"), new BindOptions()), typeof(SpecException))).Check(Runs(2000));

    [Fact]
    public void Durations_parse_or_are_refused() =>
        Prop.ForAll(Texts("0123456789.e-+ smhd", "99999999999", "ms", "1e400"), text =>
            Bounded(() =>
            {
                if (DurationParser.TryParse(text, out var duration))
                {
                    duration.ShouldBeGreaterThanOrEqualTo(TimeSpan.Zero);
                }
            })).Check(Runs(3000));

    [Fact]
    public void Command_templates_parse_render_and_lint_or_fail_cleanly() =>
        Prop.ForAll(Texts("ab {}'\"\\$;|&()-c", "{x}", "{{", "}}", "sh -c ", "bash ", "{seed}"), Arb.From(Gen.Elements(true, false)), (text, shell) =>
            Bounded(() =>
            {
                var template = new CommandTemplate(text, shell);
                template.PlaceholdersReadAsCode();
                template.Render(name => "v'$(x)\"");
            }, typeof(FormatException))).Check(Runs(3000));

    [Fact]
    public void Scalars_resolve_without_throwing() =>
        Prop.ForAll(Texts("0123456789.eE+-xX_ainfINF~", "0x", ".inf", ".nan", "1e400"), text =>
            Bounded(() =>
            {
                ScalarResolver.Resolve(text);
                ScalarResolver.RangeError(text);
            })).Check(Runs(3000));

    [Fact]
    public void Redaction_never_throws_and_never_keeps_a_marked_secret() =>
        Prop.ForAll(Texts("ab:/@=;- -", "--password ", "--token=", "postgresql://u:", "@host/db", "Password=", "PASSWORD=", "hunter2"), text =>
            Bounded(() =>
            {
                Redactor.RedactText(text);
                Redactor.RedactArguments(text.Split(' '));
                if (!text.StartsWith('$'))
                {
                    Redactor.RedactVariable("DB_PASSWORD", text).ShouldBe(Redactor.Mask);
                }
            })).Check(Runs(2000));

    [Fact]
    public void Results_documents_are_checked_never_thrown() =>
        Prop.ForAll(Texts("{}[]\":,0123456789.-eE abtrufnl\\", "\"a\": ", "\"a\": 1, \"a\": 2", "NaN", "[[[[", "}}}}"), text =>
            Bounded(() => ResultsJson.Validate(text))).Check(Runs(3000));

    [Fact]
    public void Sizes_parse_or_are_refused() =>
        Prop.ForAll(Texts("0123456789.KMGTiBkb ", "16M", "1e400", "99999999999999999999G"), text =>
            Bounded(() =>
            {
                if (ByteSizeParser.TryParse(text, out var bytes))
                {
                    bytes.ShouldBeInRange(0, 1L << 40);
                }
            })).Check(Runs(3000));

    [Fact]
    public void Metric_lines_parse_or_are_reported_never_thrown() =>
        Prop.ForAll(Texts("{}[]\":,0123456789.-eE nameustpvlNaInfiy\n", "\"step\": ", "\"value\": ", "\"name\": ", "NaN", "Infinity", "\n"), text =>
            Bounded(() =>
            {
                var path = Path.GetTempFileName();
                try
                {
                    File.WriteAllText(path, text);
                    MetricsFile.Parse(path, DateTimeOffset.UnixEpoch);
                }
                finally
                {
                    File.Delete(path);
                }
            })).Check(Runs(1000));
}
