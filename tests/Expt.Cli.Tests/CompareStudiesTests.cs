namespace Expt.Cli.Tests;

/// <summary><c>expt compare-groups A B</c>: two studies compared, paired by seed when they ran the same seeds.</summary>
public sealed class CompareStudiesTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    // loss = the seed's last three digits, minus a small improvement in "better": the seed dominates the spread, so
    // only pairing by seed sees the improvement.
    private const string Base = """
        name: base
        shell: true
        command: 'echo "{\"loss\": $(( EXPT_SEED % 1000 OFFSET ))}" > "$EXPT_RESULTS"'
        params:
          x: [1]
        replications: 6
        seed: 5
        """;

    [Fact]
    public async Task Two_studies_of_the_same_seeds_are_paired_and_a_group_of_unknown_names_says_so()
    {
        _cli.Write("a.yaml", Base.Replace(" OFFSET", string.Empty, StringComparison.Ordinal));
        _cli.Write("b.yaml", Base.Replace("name: base", "name: better", StringComparison.Ordinal).Replace(" OFFSET", " - 3 + EXPT_REPLICATE % 2", StringComparison.Ordinal));
        (await _cli.RunAsync("run", "a.yaml", "-q")).Exit.ShouldBe(0);
        (await _cli.RunAsync("run", "b.yaml", "-q")).Exit.ShouldBe(0);

        var json = await _cli.RunAsync("compare-groups", "base", "better", "-m", "loss", "--format", "json");
        json.Exit.ShouldBe(0, json.Error);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        var root = doc.RootElement;
        root.GetProperty("a").GetString().ShouldBe("study == 'base'");
        root.GetProperty("n_a").GetInt32().ShouldBe(6);
        root.GetProperty("welch_p").GetDouble().ShouldBeGreaterThan(0.5); // unpaired: the seeds' spread hides it
        var paired = root.GetProperty("paired");
        paired.GetProperty("n").GetInt32().ShouldBe(6);
        paired.GetProperty("mean_difference").GetDouble().ShouldBe(2.5, 1e-12); // 3 − (0 or 1), alternating
        paired.GetProperty("p").GetDouble().ShouldBeLessThan(0.001);
        root.GetProperty("better").GetString().ShouldBe("B");

        // Groups may filter on fields and results too; one of two studies' replicates against the other's.
        var fields = await _cli.RunAsync("compare-groups", "base", "better", "-m", "loss", "--a", "study == 'base' and replicate < 3 and loss > 0", "--b", "study == 'better' and replicate < 3", "--format", "json");
        fields.Exit.ShouldBe(0, fields.Error);
        using var three = System.Text.Json.JsonDocument.Parse(fields.Out);
        three.RootElement.GetProperty("n_a").GetInt32().ShouldBe(3);
        three.RootElement.GetProperty("paired").GetProperty("n").GetInt32().ShouldBe(3);

        var unknown = await _cli.RunAsync("compare-groups", "base", "better", "-m", "loss", "--a", "study == 'base' and lr == 1", "--b", "study == 'better'");
        unknown.Exit.ShouldBe(2);
        unknown.Error.Trim().ShouldBe("error: group A matches no completed trial with 'loss'; no trial has 'lr' (parameters: x; results: loss; fields: id, study, status, replicate, seed, attempts, duration, host, exit_code)");
        var half = await _cli.RunAsync("compare-groups", "base", "better", "-m", "loss", "--a", "x == 1");
        half.Exit.ShouldBe(2);
        half.Error.ShouldContain("give both --a and --b, or neither");
        // params.NAME and results.NAME say which is meant.
        var prefixed = await _cli.RunAsync("ls", "--where", "params.x == 1 and results.loss >= 0", "--format", "csv");
        prefixed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(13);
    }
}
