using System.Diagnostics;
using System.Text;
using Expt.Spec;

namespace Expt.Core.Tests;

/// <summary>
/// The adversarial corpus for study files and <c>--set</c> overrides: every input ends in a located, one-line
/// error (never another exception, a hang or a crash) within a bounded time. Each case names the message it must give.
/// </summary>
public sealed class HostileStudyFileTests
{
    private const string Head = "name: s\ncommand: run {x}\n";

    private static string Repeat(string text, int count) => new StringBuilder(text.Length * count).Insert(0, text, count).ToString();

    /// <summary>A "billion laughs": nine levels of ten aliases each, 10^9 values once expanded, in under 600 bytes.</summary>
    public static string AliasBomb()
    {
        var sb = new StringBuilder("name: s\ncommand: x\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level < 9; level++)
        {
            sb.Append($"lol{level}: &a{level} [").Append(string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))).Append("]\n");
        }
        sb.Append("params:\n  x: *a8\n");
        return sb.ToString();
    }

    public static TheoryData<string, string, string> Cases() => new()
    {
        // YAML structure
        { "alias bomb", AliasBomb(), "aliases expand to more than 100,000 values" },
        { "alias bomb of mappings", "name: s\ncommand: x\na: &a {" + string.Join(", ", Enumerable.Range(0, 10).Select(i => $"k{i}: v")) + "}\nb: &b [" + Repeat("*a, ", 9) + "*a]\nc: &c [" + Repeat("*b, ", 9) + "*b]\nd: &d [" + Repeat("*c, ", 9) + "*c]\ne: &e [" + Repeat("*d, ", 9) + "*d]\npoints: *e\n", "aliases expand to more than" },
        { "100,000 [ in a parameter", Head + "params:\n  x: " + Repeat("[", 100_000) + "\n", "nested more than 64 levels deep" },
        { "100,000 { in a parameter", Head + "params:\n  x: " + Repeat("{a: ", 100_000) + "\n", "nested more than 64 levels deep" },
        { "deep block mapping", Head + "params:\n" + string.Concat(Enumerable.Range(1, 100).Select(i => new string(' ', i * 2) + $"k{i}:\n")), "nested more than 64 levels deep" },
        { "python object tag", Head + "params:\n  x: !!python/object:os.system [ls]\n", "YAML tag '!!python/object:os.system' is not supported" },
        { "local tag", Head + "params:\n  x: !foo 1\n", "YAML tag '!foo' is not supported" },
        { "tag on a mapping", Head + "params: !!map\n  x: 1\n", "is not supported" },
        { "tag on a sequence", Head + "params:\n  x: !!seq [1]\n", "is not supported" },
        { "second document", Head + "params:\n  x: 1\n---\nname: t\n", "a second YAML document" },
        { "NUL byte in the file", Head + "params:\n  x: a\0b\n", "contains a NUL character" },
        { "NUL escaped in a double-quoted value", Head + "params:\n  x: \"a\\0b\"\n", "contains a NUL character" },
        { "duplicate top-level key", Head + "params:\n  x: 1\nparams:\n  x: 2\n", "duplicate key" },
        { "duplicate parameter", Head + "params:\n  x: 1\n  x: 2\n", "params.x: duplicate key" },
        { "list as key", Head + "params:\n  ? [a, b]\n  : 1\n", "expected a plain key" },
        { "mapping as key", Head + "params:\n  ? {a: 1}\n  : 1\n", "expected a plain key" },
        { "undefined alias", Head + "params:\n  x: *nowhere\n", "alias *nowhere refers to no anchor defined before it" },
        { "empty file", string.Empty, "the file is empty" },
        { "only a comment", "# nothing\n", "the file is empty" },
        { "a list at the top", "- a\n- b\n", "expected a mapping" },
        { "a scalar at the top", "just text\n", "expected a mapping" },
        { "unclosed flow list", Head + "params:\n  x: [1, 2\n", "malformed YAML" },
        { "unclosed flow mapping", Head + "params: {x: 1\n", "malformed YAML" },
        { "unclosed quote", Head + "params:\n  x: \"abc\n", "malformed YAML" },
        { "tab indentation", "name: s\ncommand: x\nparams:\n\tx: 1\n", "malformed YAML" },
        { "bad indentation", "name: s\ncommand: x\n  bad: indentation: here\n", "malformed YAML" },
        { "control characters", Head + "params:\n  x: \u0007\u0008\n", "contains the control character \\x07" },
        { "a million values", Head + "params:\n  x: [" + Repeat("1,", 1_000_001) + "1]\n", "more than 250,000 values" },
        { "a 9 MiB file", Head + "description: " + new string('d', 9 << 20) + "\n", "larger than the limit of 8 MiB" },

        // values
        { "39-digit integer", Head + "params:\n  x: 123456789012345678901234567890123456789\n", "is out of range (at most ±9223372036854775807)" },
        { "20-digit negative integer", Head + "params:\n  x: -99999999999999999999\n", "is out of range" },
        { "39-digit integer in a list", Head + "params:\n  x: [1, 123456789012345678901234567890123456789]\n", "is out of range" },
        { "float overflow", Head + "params:\n  x: 1e400\n", "out of the float range" },
        { "float underflow", Head + "params:\n  x: 1e-400\n", "out of the float range" },
        { "huge integer in a point", Head + "points:\n  - {x: 99999999999999999999}\n", "is out of range" },
        { "value of 40,000 characters", Head + "params:\n  x: " + new string('a', 40_000) + "\n", "more than the limit of 32,768" },
        { "list nested 100 deep", Head + "params:\n  x: " + Repeat("[", 100) + "1" + Repeat("]", 100) + "\n", "deep" },
        { "mapping among values", Head + "params:\n  x: [{a: 1}, 2]\n", "expected a mapping like the other items" },
        { "empty list", Head + "params:\n  x: []\n", "empty list; expected at least one value" },
        { "points not a list", Head + "points: {x: 1}\n", "points: expected a list of points, e.g. [{lr: 0.1, bs: 16}], or [] for a study filled later" },
        { "point not a mapping", Head + "points: [1, 2]\n", "expected a mapping of parameter names to values" },
        { "params as a list", Head + "params: [x, y]\n", "expected a mapping of parameter names to values" },
        { "exclude of a scalar", Head + "params:\n  x: [1, 2]\nexclude: 3\n", "expected a list of rules" },
        { "exclude rule not a mapping", Head + "params:\n  x: [1, 2]\nexclude: [3]\n", "expected a mapping such as" },
        { "exclude removes every point", Head + "params:\n  x: [1, 2]\nexclude: [{x: [1, 2]}]\n", "exclude and where remove every point" },
        { "where removes every point", Head + "params:\n  x: [1, 2]\nwhere: x > 5\n", "exclude and where remove every point" },
        { "linked of a scalar", Head + "linked: 3\n", "expected a list of groups" },
        { "linked with a distribution", Head + "linked:\n  - x: uniform(0, 1)\n    y: [2]\n", "linked parameters take lists, not distributions" },

        // names
        { "dotted name 3,000 deep", "name: s\ncommand: x\nparams:\n  ? " + string.Join('.', Enumerable.Range(0, 3000).Select(i => "a" + i)) + "\n  : 1\n", "parameter name too long" },
        { "dotted key longer than YAML allows", "name: s\ncommand: x\nparams:\n  " + string.Join('.', Enumerable.Range(0, 3000).Select(i => "a" + i)) + ": 1\n", "malformed YAML" },
        { "dotted name of 17 parts", "name: s\ncommand: x\nparams:\n  " + string.Join('.', Enumerable.Repeat("a", 17)) + ": 1\n", "16 dotted parts" },
        { "name of 200 characters", "name: s\ncommand: x\nparams:\n  " + new string('a', 200) + ": 1\n", "parameter name too long" },
        { "name with a space", "name: s\ncommand: x\nparams:\n  'a b': 1\n", "not a valid parameter name" },
        { "name with a dollar", "name: s\ncommand: x\nparams:\n  'a$': 1\n", "not a valid parameter name" },
        { "name starting with a digit", "name: s\ncommand: x\nparams:\n  '1a': 1\n", "not a valid parameter name" },
        { "empty name", "name: s\ncommand: x\nparams:\n  '': 1\n", "not a valid parameter name" },
        { "name with an empty part", "name: s\ncommand: x\nparams:\n  'a..b': 1\n", "not a valid parameter name" },
        { "linked name invalid", "name: s\ncommand: x\nlinked:\n  - {'a b': [1], c: [2]}\n", "not a valid parameter name" },
        { "point name invalid", "name: s\ncommand: x\npoints:\n  - {'a;b': 1}\n", "not a valid parameter name" },
        { "a value and its own child", "name: s\ncommand: x\nparams:\n  model: resnet\n  model.depth: 4\n", "nests under 'model', which is a parameter with a value itself" },
        { "a value and a nested child", "name: s\ncommand: x\nparams:\n  model: resnet\n  model.head.size: 4\n", "nests under 'model'" },
        { "point value and child", "name: s\ncommand: x\npoints:\n  - {a: 1}\n  - {a.b: 2}\n", "nests under 'a'" },
        { "parameter in params and linked", "name: s\ncommand: x\nparams:\n  a: 1\nlinked:\n  - {a: [1], b: [2]}\n", "parameter defined twice" },
        { "invalid study name", "name: '../../etc'\ncommand: x\n", "not a valid study name" },
        { "study name of 200 characters", "name: " + new string('a', 200) + "\ncommand: x\n", "not a valid study name" },

        // sweep expressions
        { "unclosed range", Head + "params:\n  x: range(0, 5\n", "is not closed: expected range(...) to end with ')'" },
        { "unclosed linspace", Head + "params:\n  x: linspace(0, 1, 5\n", "is not closed" },
        { "text after a range", Head + "params:\n  x: range(0, 5) + 1\n", "is not closed" },
        { "step of 1e-300", Head + "params:\n  x: range(0, 1, 1e-300)\n", "has about 1e+300 values, more than the 10,000,000 allowed" },
        { "stop of 1e300", Head + "params:\n  x: range(0, 1e300)\n", "more than the 10,000,000 allowed" },
        { "zero step", Head + "params:\n  x: range(0, 10, 0)\n", "step must not be zero" },
        { "range the wrong way", Head + "params:\n  x: range(10, 0)\n", "is empty" },
        { "range of 10^8 integers", Head + "params:\n  x: range(100000000)\n", "more than the 10,000,000 allowed" },
        { "range of the whole int64", Head + "params:\n  x: range(-9223372036854775807, 9223372036854775807)\n", "more than the 10,000,000 allowed" },
        { "range with text", Head + "params:\n  x: range(a, b)\n", "is not a number" },
        { "range with 4 arguments", Head + "params:\n  x: range(1, 2, 3, 4)\n", "range takes 1 to 3 arguments" },
        { "range with nested parentheses", Head + "params:\n  x: range(" + Repeat("(", 5_000) + "1" + Repeat(")", 5_000) + ")\n", "is not a number" },
        { "range of 100,000 parentheses", Head + "params:\n  x: range(" + Repeat("(", 50_000) + "1" + Repeat(")", 50_000) + ")\n", "more than the limit of 65,536" },
        { "linspace with n = 0", Head + "params:\n  x: linspace(0, 1, 0)\n", "n must be a positive integer" },
        { "linspace with n = 10^9", Head + "params:\n  x: linspace(0, 1, 1000000000)\n", "more than the 10000000 allowed" },
        { "linspace beyond the float range", Head + "params:\n  x: linspace(-1e308, 1e308, 3)\n", "out of the float range" },
        { "logspace to 10^400", Head + "params:\n  x: logspace(0, 400, 3)\n", "exponents must be between -307 and 307" },
        { "logspace with text n", Head + "params:\n  x: logspace(0, 1, many)\n", "n must be a positive integer" },
        { "uniform reversed", Head + "params:\n  x: uniform(1, 0)\nsamples: 3\n", "a must be less than b" },
        { "loguniform of zero", Head + "params:\n  x: loguniform(0, 1)\nsamples: 3\n", "must be positive" },
        { "normal with negative std", Head + "params:\n  x: normal(0, -1)\nsamples: 3\n", "std must be positive" },
        { "int reversed", Head + "params:\n  x: int(5, 1)\nsamples: 3\n", "a must not exceed b" },
        { "int of floats", Head + "params:\n  x: int(0.5, 1)\nsamples: 3\n", "takes two integers" },
        { "empty choice", Head + "params:\n  x: choice()\nsamples: 3\n", "needs at least one option" },
        { "samples without distributions", Head + "params:\n  x: 1\nsamples: 3\n", "random search needs at least one parameter with a distribution" },
        { "distribution without samples", Head + "params:\n  x: uniform(0, 1)\n", "need 'samples: N' draws" },
        { "expression of 70,000 characters", Head + "params:\n  x: range(" + new string('1', 70_000) + ")\n", "more than the limit of 65,536" },

        // where
        { "where with 30,000 parentheses", Head + "params:\n  x: [1, 2]\nwhere: '" + Repeat("(", 30_000) + "x > 1" + Repeat(")", 30_000) + "'\n", "nested more than 64 levels deep" },
        { "where with 50,000 parentheses", Head + "params:\n  x: [1, 2]\nwhere: '" + Repeat("(", 50_000) + "x > 1" + Repeat(")", 50_000) + "'\n", "more than the limit of 65,536" },
        { "where with 100 nested lists", Head + "params:\n  x: [1, 2]\nwhere: 'x in " + Repeat("[", 100) + "1" + Repeat("]", 100) + "'\n", "nested more than 64 levels deep" },
        { "where too long", Head + "params:\n  x: [1, 2]\nwhere: '" + Repeat("x == 1 or ", 7000) + "x == 2'\n", "more than the limit of 65,536" },
        { "where of 6,000 ors", Head + "params:\n  x: [1, 2]\nwhere: '" + Repeat("x == 5 or ", 6000) + "x == 6'\n", "exclude and where remove every point" },
        { "where ends early", Head + "params:\n  x: [1, 2]\nwhere: 'x >'\n", "ends too early" },
        { "where unterminated string", Head + "params:\n  x: [1, 2]\nwhere: \"x == 'abc\"\n", "unterminated string" },
        { "where with a control character", Head + "params:\n  x: [1, 2]\nwhere: \"x \\e> 1\"\n", "unexpected character '\\e'" },
        { "where with an unknown name", Head + "params:\n  x: [1, 2]\nwhere: 'y > 1'\n", "'y' is not a parameter" },
        { "where with two operators", Head + "params:\n  x: [1, 2]\nwhere: 'x > > 1'\n", "unexpected '>'" },
        { "where with a bad number", Head + "params:\n  x: [1, 2]\nwhere: 'x > 1.2.3'\n", "is not a number" },
        { "where as a list", Head + "params:\n  x: [1, 2]\nwhere: [x]\n", "expected a single value" },

        // command
        { "unclosed placeholder", "name: s\ncommand: run {x\nparams:\n  x: 1\n", "'{' at column 5 is never closed" },
        { "closing brace alone", "name: s\ncommand: run x}\nparams:\n  x: 1\n", "'}' at column 6 closes no '{'" },
        { "unknown placeholder", "name: s\ncommand: run {y}\nparams:\n  x: 1\n", "unknown placeholder {y}" },
        { "unbalanced double quote", "name: s\ncommand: 'run \"x'\n", "unbalanced double quote" },
        { "empty command", "name: s\ncommand: '  '\n", "the command is empty" },
        { "command of 200,000 characters", "name: s\ncommand: run " + new string('a', 200_000) + "\n", "more than the limit of 131,072" },
        { "parameters too long for EXPT_PARAMS", "name: s\ncommand: run\nparams:\n" + string.Concat(Enumerable.Range(0, 5).Select(i => $"  p{i}: " + new string('v', 30_000) + "\n")), "more than the 128 KiB one environment variable (EXPT_PARAMS) can carry" },
        { "an argument too long for Linux", "name: s\ncommand: run " + new string('a', 110_000) + "{x}\nparams:\n  x: " + new string('v', 30_000) + "\n", "more than the 128 KiB Linux passes in one argument" },
        { "placeholder in double quotes with shell", "name: s\nshell: true\ncommand: 'echo \"{x}\"'\nparams:\n  x: [a, '$(touch PWNED)']\n", "placeholder {x} inside double quotes; a value such as $(touch PWNED) would run as code there" },
        { "placeholder in single quotes with shell", "name: s\nshell: true\ncommand: \"echo '{x}'\"\nparams:\n  x: [a, 'b c']\n", "placeholder {x} inside single quotes" },
        { "placeholder in a sh -c script", "name: s\ncommand: sh -c 'echo {x}'\nparams:\n  x: [a, '$(touch PWNED)']\n", "placeholder {x} inside the argument 'echo {x}', which holds spaces or shell syntax" },
        { "placeholder in a bash -ec script", "name: s\ncommand: bash -ec 'echo {x}'\nparams:\n  x: [a, 'b;c']\n", "inside the argument 'echo {x}'" },
        { "placeholder in an env bash -c script", "name: s\ncommand: env bash -c \"echo {x}\"\nparams:\n  x: ['a|b']\n", "inside the argument 'echo {x}'" },
        { "trial_dir in a quoted shell string", "name: s\nshell: true\ncommand: 'cd \"{trial_dir}\"'\n", "placeholder {trial_dir} inside double quotes" },
        { "choice of strings in a sh -c script", "name: s\ncommand: sh -c 'echo {x}'\nparams:\n  x: choice(a, '`id`')\nsamples: 2\n", "inside the argument 'echo {x}'" },
        // Wrappers that hand an argument to a shell: the argument's own syntax gives it away, whatever the program.
        { "timeout wrapping sh -c", "name: s\ncommand: \"timeout 10 sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} inside the argument 'echo {x}'" },
        { "find -exec sh -c", "name: s\ncommand: \"find . -maxdepth 0 -exec sh -c 'echo {x}' \\\\;\"\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} inside the argument 'echo {x}'" },
        { "nice wrapping sh -c", "name: s\ncommand: \"nice -n 5 sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "xargs sh -c", "name: s\ncommand: \"xargs -0 sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "srun sh -c", "name: s\ncommand: \"srun -n 1 sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "stdbuf sh -c", "name: s\ncommand: \"stdbuf -oL sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "env -i sh -c", "name: s\ncommand: \"env -i sh -c 'echo {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "su -c", "name: s\ncommand: \"su -c 'echo {x}' nobody\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'echo {x}'" },
        { "ssh with a quoted remote command", "name: s\ncommand: \"ssh host 'cd {x}'\"\nparams:\n  x: ['$(touch PWNED)']\n", "inside the argument 'cd {x}'" },
        { "ssh with a bare remote command", "name: s\ncommand: ssh -p 22 host echo {x}\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} in the remote command of ssh" },
        { "sh -c with the value as the script", "name: s\ncommand: sh -c {x}\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} as the command string of '-c'" },
        { "python -c with the value as the program", "name: s\ncommand: python3 -c {x}\nparams:\n  x: ['import os; os.system(\"id\")']\n", "as the command string of '-c'" },
        { "shell mode sh -c with the value as the script", "name: s\nshell: true\ncommand: sh -c {x}\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} as the command string of '-c'" },
        { "shell mode eval", "name: s\nshell: true\ncommand: eval {x}\nparams:\n  x: ['$(touch PWNED)']\n", "placeholder {x} as an argument of eval" },
        { "params_json in a script", "name: s\ncommand: sh -c 'echo {params_json}'\nparams:\n  x: [1]\n", "placeholder {params_json} inside the argument" },
        { "shell not a boolean", "name: s\nshell: maybe\ncommand: x\n", "expected true or false" },
        { "command and experiment", "name: s\ncommand: x\nexperiment: e\n", "not both" },

        // other keys
        { "timeout of 99999999999h", Head + "params:\n  x: 1\ntimeout: 99999999999h\n", "expected a positive duration of at most 30d such as" },
        { "timeout of 31 days", Head + "params:\n  x: 1\ntimeout: 31d\n", "of at most" },
        { "negative timeout", Head + "params:\n  x: 1\ntimeout: -5s\n", "expected a positive duration" },
        { "timeout of 1e400 seconds", Head + "params:\n  x: 1\ntimeout: 1e400\n", "expected a positive duration" },
        { "timeout in years", Head + "params:\n  x: 1\ntimeout: 2y\n", "expected a positive duration" },
        { "parallel of 100000", Head + "params:\n  x: 1\nparallel: 100000\n", "a number of trials at once up to 4096" },
        { "parallel of -5000", Head + "params:\n  x: 1\nparallel: -5000\n", "a number of trials at once up to 4096" },
        { "parallel of text", Head + "params:\n  x: 1\nparallel: many\n", "expected auto, a number of trials at once" },
        { "replications of zero", Head + "params:\n  x: 1\nreplications: 0\n", "expected an integer of at least 1" },
        { "replications beyond int", Head + "params:\n  x: 1\nreplications: 99999999999\n", "expected an integer of at least 1" },
        { "retries negative", Head + "params:\n  x: 1\nretries: -1\n", "expected an integer of at least 0" },
        { "seed out of range", Head + "params:\n  x: 1\nseed: 99999999999999999999\n", "expected an integer" },
        { "tags as a mapping", Head + "params:\n  x: 1\ntags: {a: 1}\n", "expected a list of tags" },
        { "tags holding a list", Head + "params:\n  x: 1\ntags: [a, [b]]\n", "expected each tag to be a word" },
        { "tags holding nothing", Head + "params:\n  x: 1\ntags: [a, ~]\n", "expected each tag to be a word" },
        { "env key with =", Head + "params:\n  x: 1\nenv:\n  A=B: 1\n", "not a valid environment variable name" },
        { "env key with a space", Head + "params:\n  x: 1\nenv:\n  'A B': 1\n", "not a valid environment variable name" },
        { "env value a list", Head + "params:\n  x: 1\nenv:\n  A: [1]\n", "expected a scalar value" },
        { "env as a list", Head + "params:\n  x: 1\nenv: [A]\n", "expected a mapping of variable names" },
        { "env value with NUL", Head + "params:\n  x: 1\nenv:\n  A: \"a\\0b\"\n", "contains a NUL character" },
        { "workdir that does not exist", Head + "params:\n  x: 1\nworkdir: /no/such/dir/for/expt\n", "no such directory" },
        { "system_info unknown", Head + "params:\n  x: 1\nsystem_info: everything\n", "expected none, basic or full" },
        { "unknown key", Head + "params:\n  x: 1\nreplicatons: 3\n", "unknown key (did you mean 'replications'?)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_study_file_gets_a_located_one_line_error(string name, string yaml, string expected)
    {
        var clock = Stopwatch.StartNew();
        var errors = Should.Throw<SpecException>(() => StudyFiles.Parse(yaml), name).Errors;
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), name);
        errors.ShouldContain(e => e.ToString().Contains(expected, StringComparison.Ordinal), $"{name}:\n{string.Join("\n", errors)}");
        foreach (var error in errors)
        {
            error.Location.File.ShouldBe("study.yaml", name);
            error.ToString().ShouldNotContain("\n", customMessage: name);
            error.ToString().Length.ShouldBeLessThan(600, name);
        }
    }

    public static TheoryData<string, string, string> Overrides() => new()
    {
        { "unclosed list", "x=[1,", "opens a list with '[' but does not close it" },
        { "unclosed range", "x=range(0, 5", "is not closed" },
        { "mapping among values", "x=[{a: 1}, 2]", "expected a mapping like the other items" },
        { "deep list", "x=" + Repeat("[", 5000) + Repeat("]", 5000), "nested more than 64 levels deep" },
        { "no equals sign", "replications", "expected key=value" },
        { "empty key", "=3", "expected key=value" },
        { "timeout overflow", "timeout=99999999999h", "of at most" },
        { "parallel too high", "parallel=100000", "up to 4096" },
        { "39-digit value", "x=123456789012345678901234567890123456789", "is out of range" },
        { "float overflow", "x=1e999", "out of the float range" },
        { "deep dotted name", "+" + string.Join('.', Enumerable.Range(0, 3000).Select(i => "a" + i)) + "=1", "key too long" },
        { "name with a dollar", "+a$b=1", "not a valid parameter name" },
        { "value of 40,000 characters", "x=" + new string('v', 40_000), "more than the limit of 32,768" },
        { "parent of an existing name", "+x.y=1", "nests under 'x'" },
        { "a misspelt key", "replicatons=3", "did you mean 'replications'?" },
        { "a plus with no name", "+=3", "expected key=value" },
        { "a tilde alone", "~", "expected ~key" },
        { "step of 1e-300", "x=range(0,1,1e-300)", "more than the 10,000,000 allowed" },
        { "replications of text", "replications=many", "expected an integer of at least 1" },
    };

    [Theory]
    [MemberData(nameof(Overrides))]
    public void A_hostile_override_gets_a_one_line_error(string name, string setting, string expected)
    {
        var errors = Should.Throw<SpecException>(() => StudyFiles.Parse("name: s\ncommand: run {x}\nparams:\n  x: 1\n", setting), name).Errors;
        errors.ShouldContain(e => e.ToString().Contains(expected, StringComparison.Ordinal), $"{name}:\n{string.Join("\n", errors)}");
        errors.ShouldAllBe(e => !e.ToString().Contains('\n'));
    }

    [Theory]
    [InlineData("x=1,2")]
    [InlineData("x=range(1, 4)")]
    [InlineData("x=[1, 2]")]
    [InlineData("x='a,b'")]
    public void Well_formed_overrides_still_work(string setting) => StudyFiles.Parse("name: s\ncommand: run {x}\nparams:\n  x: 1\n", setting).Space.Names.ShouldBe(["x"]);

    [Fact]
    public void Safe_forms_of_shell_placeholders_are_accepted()
    {
        StudyFiles.Parse("name: s\nshell: true\ncommand: echo {x} \"$EXPT_PARAM_X\"\nparams:\n  x: [a, b]\n").Command!.Shell.ShouldBeTrue();
        StudyFiles.Parse("name: s\ncommand: sh -c 'echo \"$1\"' sh {x}\nparams:\n  x: [a, b]\n").Command.ShouldNotBeNull();
        // Numbers cannot carry shell syntax: a numeric sweep inside a script is fine.
        StudyFiles.Parse("name: s\ncommand: sh -c 'sleep {t}; test {x} -gt 0'\nparams:\n  t: [0.1, 1]\n  x: range(3)\n").Command.ShouldNotBeNull();
        // Paired literal braces (an awk program) are text, not placeholders.
        StudyFiles.Parse("name: s\ncommand: \"awk '{ print $1 }' {x}\"\nparams:\n  x: [a]\n").Command.ShouldNotBeNull();
        // Plain words cannot carry code, wherever they stand: a script over optimizer names is fine.
        StudyFiles.Parse("name: s\ncommand: sh -c 'python3 train.py --opt {opt} && echo {opt}'\nparams:\n  opt: [adam, sgd, rms-prop, lr=0.1]\n").Command.ShouldNotBeNull();
        StudyFiles.Parse("name: s\ncommand: \"timeout 10 sh -c 'echo {x}'\"\nparams:\n  x: [a/b.c, '-1.5']\n").Command.ShouldNotBeNull();
        // Data arguments with a plain-word frame are data: --out=results/{x}.json.
        StudyFiles.Parse("name: s\ncommand: python3 train.py --out=results/{x}.json --name run-{x}\nparams:\n  x: ['a b', '$(id)']\n").Command.ShouldNotBeNull();
    }

    [Fact]
    public void The_alias_bomb_is_refused_in_milliseconds_without_growing()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        Should.Throw<SpecException>(() => YamlConfigReader.Parse(AliasBomb(), "bomb.yaml")).Errors.Single().ToString().ShouldStartWith("bomb.yaml:7: aliases expand to more than 100,000 values");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(50L << 20);
    }

    [Fact]
    public void Anchors_and_aliases_that_reuse_a_block_still_work()
    {
        var spec = StudyFiles.Parse("name: s\ncommand: run {a} {b}\nparams:\n  a: &values [1, 2, 3]\n  b: *values\n");
        StudyFiles.Points(spec).Count.ShouldBe(9);
    }

    [Fact]
    public void A_tagged_string_is_a_string() =>
        StudyFiles.Parse("name: s\ncommand: run {x}\nparams:\n  x: !!str 123\n").Space.Expand(0).Single()["x"].ShouldBe("123");
}
