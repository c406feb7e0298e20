using Expt.Spec;

namespace Expt.Core.Tests;

public sealed class CommandTemplateTests
{
    [Fact]
    public void Splits_like_a_shell()
    {
        CommandTemplate.Split("""python3 -c "print('a b')" 'x y' z\ w "q\"r" """).ShouldBe(["python3", "-c", "print('a b')", "x y", "z w", "q\"r"]);
    }

    [Fact]
    public void Values_with_spaces_stay_one_argument()
    {
        var template = new CommandTemplate("run --name {name} --lr={lr} {{literal}}", shell: false);
        template.Placeholders.ShouldBe(["name", "lr"]);
        template.Render(n => n == "name" ? "two words" : "0.1").ShouldBe(["run", "--name", "two words", "--lr=0.1", "{literal}"]);
    }

    [Fact]
    public void Shell_mode_quotes_values()
    {
        var template = new CommandTemplate("echo {v} | wc -c", shell: true);
        template.Render(_ => "it's; rm -rf /").ShouldBe(["/bin/sh", "-c", "echo 'it'\\''s; rm -rf /' | wc -c"]);
    }

    [Fact]
    public void Durations_parse()
    {
        DurationParser.Parse("10m").ShouldBe(TimeSpan.FromMinutes(10));
        DurationParser.Parse("1h30m").ShouldBe(TimeSpan.FromMinutes(90));
        DurationParser.Parse("250ms").ShouldBe(TimeSpan.FromMilliseconds(250));
        DurationParser.Parse("2.5").ShouldBe(TimeSpan.FromSeconds(2.5));
        Should.Throw<FormatException>(() => DurationParser.Parse("soon"));
    }
}
