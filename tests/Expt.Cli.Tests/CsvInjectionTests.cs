using Expt.Cli.Output;

namespace Expt.Cli.Tests;

/// <summary>
/// CSV written by Expt opens safely in a spreadsheet: a cell that would be read as a formula (a trial's result
/// <c>=HYPERLINK(...)</c>, a parameter <c>@SUM(...)</c>) gets a leading apostrophe; numbers stay numbers.
/// </summary>
public sealed class CsvInjectionTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\r=1", "\"'\r=1\"")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("+3", "+3")]
    [InlineData("-Infinity", "-Infinity")]
    [InlineData("-inf", "-inf")]
    [InlineData("1e-5", "1e-5")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    public void Formula_cells_are_made_inert_and_numbers_kept(string value, string expected) => CsvText.Field(value).ShouldBe(expected);

    [Fact]
    public async Task An_exported_table_holds_no_cell_a_spreadsheet_would_run()
    {
        _cli.Write("r.py", "import json, os\njson.dump({'r': '=1+1', 'v': -2}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        _cli.Write("study.yaml", "name: s\ncommand: python3 r.py {x}\nparams:\n  x: [\"@SUM(A1)\", \"-1.5\"]\n");
        var run = await _cli.RunAsync("run", "study.yaml");
        run.Exit.ShouldBe(0, run.Error);
        foreach (var what in new[] { "trials", "summary" })
        {
            var export = await _cli.RunAsync("export", "s", "--what", what);
            export.Exit.ShouldBe(0, export.Error);
            foreach (var cell in export.Out.Split('\n').SelectMany(l => l.Split(',')))
            {
                cell.ShouldNotStartWith("=", customMessage: what);
                cell.ShouldNotStartWith("@", customMessage: what);
            }
            if (what == "trials")
            {
                export.Out.ShouldContain(",'@SUM(A1),");
                export.Out.ShouldContain(",'=1+1,");
                export.Out.ShouldContain(",-2");
            }
        }
    }
}
