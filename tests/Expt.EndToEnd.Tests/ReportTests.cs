namespace Expt.EndToEnd.Tests;

/// <summary><c>expt report</c>: one self-contained HTML file.</summary>
[Trait("Category", "Slow")]
public sealed class ReportTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task The_report_has_summaries_charts_and_failures_and_needs_no_network()
    {
        _cli.Write("study.yaml", """
            name: rep
            description: a <small> study
            shell: true
            command: 'if [ {x} -eq 2 ]; then echo boom >&2; exit 3; fi; echo "{{\"y\": {x}}}" > "$EXPT_RESULTS"'
            params:
              x: range(4)
            replications: 2
            """);
        (await _cli.RunAsync("run", "study.yaml", "-q")).ExitCode.ShouldBe(1);
        var report = await _cli.RunAsync("report", "rep", "-o", "rep.html");
        report.ExitCode.ShouldBe(0, report.ToString());
        var html = File.ReadAllText(Path.Combine(_cli.Directory, "rep.html"));
        html.ShouldStartWith("<!DOCTYPE html>");
        html.ShouldContain("a &lt;small&gt; study"); // escaped
        html.ShouldContain("8 trials: 6 completed, 2 failed");
        html.ShouldContain("<h2>y <small class=\"meta\">(lower is better; assumed: no objective declared)</small></h2>");
        html.ShouldContain("<th>mean</th>");
        html.ShouldContain("<svg");
        html.ShouldContain("Failures (2)");
        html.ShouldContain("exit");
        html.ShouldNotContain("<script");
        html.ShouldNotContain("src=\"http");
        html.ShouldNotContain("href=\"http");
    }

    [Fact]
    public async Task A_missing_output_option_or_study_is_one_line()
    {
        var missing = await _cli.RunAsync("report", "nope");
        missing.ExitCode.ShouldBe(2, missing.ToString());
        _cli.Write("study.yaml", "name: one\ncommand: \"true\"\nparams:\n  x: [1]\n");
        (await _cli.RunAsync("run", "study.yaml", "-q")).ExitCode.ShouldBe(0);
        var unknown = await _cli.RunAsync("report", "nope", "-o", "x.html");
        unknown.ExitCode.ShouldBe(3, unknown.ToString());
    }
}
