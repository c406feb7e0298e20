using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace Expt.EndToEnd.Tests;

/// <summary>A real replicated study, then summary, compare-groups and export, checked against independent numbers.</summary>
[Trait("Category", "Slow")]
public sealed class ResultsEndToEndTests : IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // value = 10 x + r^2 for replicate r; the point x = 3 fails on replicate 1; metrics: 3 steps each.
    private async Task RunStudyAsync()
    {
        _cli.Write("study.yaml", """
            name: res
            shell: true
            command: |
              if [ {x} = 3 ] && [ {replicate} = 1 ]; then exit 1; fi
              echo "{\"value\": $(( {x} * 10 + {replicate} * {replicate} )), \"opt\": \"$EXPT_PARAM_OPT\"}" > "$EXPT_RESULTS"
              for s in 0 1 2; do echo "{\"step\": $s, \"loss\": $(( {x} + s ))}" >> "$EXPT_METRICS"; done
            params:
              x: [1, 2, 3]
              opt: [a, b]
            replications: 3
            """);
        var run = await _cli.RunAsync("run", "study.yaml", "-q");
        run.ExitCode.ShouldBe(1, run.ToString()); // two trials failed
    }

    private static double[] Values(int x) => [10 * x + 0, 10 * x + 1, 10 * x + 4];

    [Fact]
    public async Task Summary_matches_an_independent_computation()
    {
        await RunStudyAsync();
        var summary = await _cli.RunAsync("summary", "res", "--metric", "value", "--by", "x", "--format", "json");
        summary.ExitCode.ShouldBe(0, summary.ToString());
        var groups = summary.Json().EnumerateArray().ToList();
        groups.Count.ShouldBe(3);
        foreach (var group in groups)
        {
            var x = group.GetProperty("x").GetInt32();
            // Two replicates per x (opt a and b), each with values 10x, 10x+1, 10x+4; x = 3 lost replicate 1 twice.
            var expected = Values(x).Concat(Values(x)).Where((v, i) => x != 3 || i % 3 != 1).ToArray();
            group.GetProperty("n").GetInt32().ShouldBe(expected.Length);
            group.GetProperty("mean").GetDouble().ShouldBe(expected.Mean(), 1e-9);
            group.GetProperty("std").GetDouble().ShouldBe(expected.StandardDeviation(), 1e-9);
            group.GetProperty("sem").GetDouble().ShouldBe(expected.StandardDeviation() / Math.Sqrt(expected.Length), 1e-9);
            var half = StudentT.InvCDF(0, 1, expected.Length - 1, 0.975) * expected.StandardDeviation() / Math.Sqrt(expected.Length);
            group.GetProperty("ci_low").GetDouble().ShouldBe(expected.Mean() - half, 1e-9);
            group.GetProperty("ci_high").GetDouble().ShouldBe(expected.Mean() + half, 1e-9);
            group.GetProperty("median").GetDouble().ShouldBe(expected.Median(), 1e-9);
            group.GetProperty("min").GetDouble().ShouldBe(expected.Min());
            group.GetProperty("max").GetDouble().ShouldBe(expected.Max());
            group.GetProperty("rank").GetInt32().ShouldBe(x); // lower is better
            group.GetProperty("failed").GetInt32().ShouldBe(x == 3 ? 2 : 0);
        }

        var maximized = (await _cli.RunAsync("summary", "res", "-m", "value", "--by", "x", "--maximize", "--format", "json")).Json();
        maximized.EnumerateArray().Select(g => g.GetProperty("rank").GetInt32()).ShouldBe([3, 2, 1]);

        var table = await _cli.RunAsync("summary", "res", "-m", "value");
        table.Stdout.ShouldStartWith("X  OPT  N     MEAN      STD      SEM  95% CI              MIN  MEDIAN  MAX  RANK  FAILED  MISSING\n1  a    3  11.6667  2.08167  1.20185  [6.49552, 16.8378]   10      11   14     1       0        0\n");

        var markdown = await _cli.RunAsync(ExptCli.ExptDll, ["summary", "res", "-m", "value", "--by", "x"], new Dictionary<string, string> { ["EXPT_STYLE"] = "markdown" });
        markdown.Stdout.ShouldStartWith("| x | n | mean | std | sem | 95% ci | min | median | max | rank | failed | missing |\n|---|---:|");
        (await _cli.RunAsync("studies", "--style", "markdown")).Stdout.ShouldStartWith("| study |");

        var typo = await _cli.RunAsync("summary", "res", "-m", "valu");
        typo.ExitCode.ShouldBe(2);
        typo.Stderr.Trim().ShouldBe("error: --metric: no completed trial has a numeric result 'valu' (did you mean 'value'?); results: value; what trials used: usage.cpu_seconds, usage.cpu_efficiency, usage.peak_memory_mb, usage.wall_seconds, usage.gpu_peak_memory_mb, usage.gpu_utilization, usage.energy_wh, usage.co2_g");
    }

    [Fact]
    public async Task Compare_groups_answers_whether_a_beats_b()
    {
        await RunStudyAsync();
        var result = await _cli.RunAsync("compare-groups", "res", "-m", "value", "--a", "x == 2", "--b", "x == 1", "--format", "json");
        result.ExitCode.ShouldBe(0, result.ToString());
        var c = result.Json();
        double[] a = [.. Values(2), .. Values(2)];
        double[] b = [.. Values(1), .. Values(1)];
        c.GetProperty("difference").GetDouble().ShouldBe(10, 1e-9);
        var se = Math.Sqrt((a.Variance() / 6) + (b.Variance() / 6));
        c.GetProperty("welch_t").GetDouble().ShouldBe(10 / se, 1e-9);
        var (va, vb) = (a.Variance() / 6, b.Variance() / 6);
        var df = (va + vb) * (va + vb) / ((va * va / 5) + (vb * vb / 5));
        c.GetProperty("welch_df").GetDouble().ShouldBe(df, 1e-9);
        c.GetProperty("welch_p").GetDouble().ShouldBe(2 * (1 - StudentT.CDF(0, 1, df, 10 / se)), 1e-9);
        c.GetProperty("mann_whitney_u").GetDouble().ShouldBe(36); // every A above every B
    }

    [Fact]
    public async Task Diff_compare_and_logs_show_what_differs_and_what_was_printed()
    {
        await RunStudyAsync();
        var trials = (await _cli.RunAsync("ls", "--study", "res", "--format", "json")).Json().EnumerateArray().ToList();
        string Id(int x, string opt, int replicate) => trials.Single(t => t.GetProperty("params").GetProperty("x").GetInt32() == x
            && t.GetProperty("params").GetProperty("opt").GetString() == opt && t.GetProperty("replicate").GetInt32() == replicate).GetProperty("id").GetString()!;

        var diff = await _cli.RunAsync("diff", Id(1, "a", 0), Id(2, "a", 0), "--format", "json");
        diff.ExitCode.ShouldBe(0, diff.ToString());
        var fields = diff.Json().GetProperty("differences").EnumerateArray().ToDictionary(d => d.GetProperty("field").GetString()!, d => (d.GetProperty("a").GetString(), d.GetProperty("b").GetString()));
        fields["param x"].ShouldBe(("1", "2"));
        fields["result value"].ShouldBe(("10", "20"));
        fields.ShouldContainKey("seed");
        fields.ShouldNotContainKey("param opt");
        fields.ShouldNotContainKey("status");

        var compare = await _cli.RunAsync("compare", "--study", "res", "--where", "x == 1 and opt == 'b'", "--format", "csv");
        compare.ExitCode.ShouldBe(0, compare.ToString());
        var lines = compare.Stdout.Trim().Split('\n');
        lines[0].ShouldBe("id,replicate,seed,result value");
        lines.Length.ShouldBe(4);

        var failed = Id(3, "a", 1);
        var logs = await _cli.RunAsync("logs", Id(1, "a", 0));
        logs.ExitCode.ShouldBe(0);
        logs.Stderr.ShouldContain("has no stdout.log"); // the trial printed nothing
        _cli.Write("echo.yaml", "name: echo\ncommand: sh -c 'for i in 1 2 3; do echo line-$i; sleep 0.3; done'\nparams:\n  x: [1]\n");
        using var running = _cli.Start("run", "echo.yaml", "-q");
        running.StandardInput.Close();
        string? echoId = null;
        await ExptCli.WaitUntilAsync(() =>
        {
            var ls = _cli.RunAsync("ls", "--study", "echo", "--format", "json").GetAwaiter().GetResult();
            // The study can exist a moment before its trials do: an empty listing means "not yet".
            echoId = ls.ExitCode == 0 && ls.Json().GetArrayLength() > 0 ? ls.Json()[0].GetProperty("id").GetString() : null;
            return echoId is not null;
        }, TimeSpan.FromSeconds(30), "the echo trial to exist");
        var follow = await _cli.RunAsync("logs", echoId!, "--follow");
        follow.ExitCode.ShouldBe(0, follow.ToString());
        follow.Stdout.ShouldBe("line-1\nline-2\nline-3\n");
        (await ExptCli.WaitAsync(running, TimeSpan.FromSeconds(30))).ExitCode.ShouldBe(0);
        (await _cli.RunAsync("logs", echoId!, "--tail", "1")).Stdout.ShouldBe("line-3\n");
        (await _cli.RunAsync("logs", failed, "--stderr")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Plots_are_written_as_svg_and_png()
    {
        await RunStudyAsync();
        var curves = await _cli.RunAsync("plot", "res", "-m", "loss", "--by", "x", "-o", "loss.svg");
        curves.ExitCode.ShouldBe(0, curves.ToString());
        var svg = File.ReadAllText(Path.Combine(_cli.Directory, "loss.svg"));
        System.Xml.Linq.XDocument.Parse(svg);
        System.Text.RegularExpressions.Regex.Matches(svg, "<polyline").Count.ShouldBe(3);
        svg.ShouldContain("x=3 (n=4)");

        var bars = await _cli.RunAsync("plot", "res", "-m", "value", "--by", "opt", "-o", "value.png");
        bars.ExitCode.ShouldBe(0, bars.ToString());
        var png = File.ReadAllBytes(Path.Combine(_cli.Directory, "value.png"));
        png.Take(4).ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
        // Only the file named is written: no SVG appears beside the PNG (one there would have been replaced).
        File.Exists(Path.Combine(_cli.Directory, "value.svg")).ShouldBeFalse();
        var svgOfBars = await _cli.RunAsync("plot", "res", "-m", "value", "--by", "opt", "-o", "value.svg");
        svgOfBars.ExitCode.ShouldBe(0, svgOfBars.ToString());
        File.ReadAllText(Path.Combine(_cli.Directory, "value.svg")).ShouldContain("<circle");

        var missing = await _cli.RunAsync("plot", "res", "-m", "nope", "-o", "x.svg");
        missing.ExitCode.ShouldBe(2);
        missing.Stderr.Trim().ShouldBe("error: --metric: no completed trial of res logged a step metric 'nope'");
    }

    [Fact]
    public async Task Exports_are_tidy_and_exact()
    {
        await RunStudyAsync();
        var csv = await _cli.RunAsync("export", "res");
        csv.ExitCode.ShouldBe(0, csv.ToString());
        var lines = csv.Stdout.Trim().Split('\n');
        lines[0].ShouldBe("id,study,status,x,opt,replicate,seed,value,result.opt,duration,attempts,error,needs,gpus,usage.cpu_seconds,usage.cpu_efficiency,usage.peak_memory_mb,usage.wall_seconds,usage.energy_wh,usage.co2_g,usage.energy_method");
        lines.Length.ShouldBe(19);

        var latex = await _cli.RunAsync("export", "res", "--what", "summary", "-m", "value", "--by", "x", "--format", "latex");
        latex.Stdout.ShouldBe(ExptCli.Lines(
            "% requires \\usepackage{booktabs}",
            "\\begin{table}[ht]",
            "\\centering",
            "\\begin{tabular}{lr}",
            "\\toprule",
            "x & value \\\\",
            "\\midrule",
            // By hand: x = 1 has 10, 11, 14 twice: sd 1.8619, sem 0.7601, t(0.975, 5) = 2.5706 → ± 1.954.
            // x = 3 has 30, 34 twice: sd 2.3094, sem 1.1547, t(0.975, 3) = 3.1824 → ± 3.675.
            "1 & $\\mathbf{11.67 \\pm 1.954}$ \\\\",
            "2 & $21.67 \\pm 1.954$ \\\\",
            "3 & $32 \\pm 3.675$ \\\\",
            "\\bottomrule",
            "\\end{tabular}",
            "\\caption{res (mean $\\pm$ 95\\% CI half-width; best in bold)}",
            "\\end{table}"));

        var metrics = await _cli.RunAsync("export", "res", "--what", "metrics", "--format", "jsonl", "-o", "m.jsonl");
        metrics.ExitCode.ShouldBe(0, metrics.ToString());
        var rows = File.ReadAllLines(Path.Combine(_cli.Directory, "m.jsonl"));
        rows.Length.ShouldBe(16 * 3);
        rows[0].ShouldContain("\"metric\":\"loss\",\"step\":0,\"value\":1");

        var markdown = await _cli.RunAsync("export", "res", "--what", "summary", "-m", "value", "--format", "markdown");
        markdown.Stdout.ShouldStartWith("| x | opt | metric | n | mean | std | sem | ci_low | ci_high | min | median | max | rank | failed | missing | non_finite |\n");

        var bad = await _cli.RunAsync("export", "res", "--format", "latex");
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.Trim().ShouldBe("error: --format latex exports summaries: add --what summary");
    }
}
