using Expt.Spec;

namespace Expt.Core.Tests;

public sealed class StoredSpecTests
{
    [Fact]
    public void What_a_spec_writes_reads_back_for_workers_and_expt_add()
    {
        var yaml = """
            name: s
            command: python3 train.py {lr} {opt}
            workdir: .
            params:
              lr: [0.1, 0.2]
              opt: adam
            points:
              - {lr: 0.5, extra: 1}
            replications: 3
            retries: 2
            timeout: 90s
            env: {PLAIN: "1", API_TOKEN: "s3cret"}
            keep_children: true
            trial_name: "lr{lr}"
            limits: {results: 2M}
            """;
        var spec = StudySpecBinder.Bind(YamlConfigReader.Parse(yaml, "s.yaml"), new BindOptions { BaseDirectory = "/tmp" });
        var stored = StoredSpec.Read(spec.ToJson());
        stored.Command.ShouldBe("python3 train.py {lr} {opt}");
        stored.Experiment.ShouldBeNull();
        stored.WorkDir.ShouldBe("/tmp");
        stored.Replications.ShouldBe(3);
        stored.Retries.ShouldBe(2);
        stored.Timeout.ShouldBe(TimeSpan.FromSeconds(90));
        stored.Env.ShouldBe(new Dictionary<string, string> { ["PLAIN"] = "1" }, "a secret-looking variable is never stored, so it is not read back");
        stored.KeepChildren.ShouldBeTrue();
        stored.TrialName.ShouldBe("lr{lr}");
        stored.Limits.MaxResultsBytes.ShouldBe(2L << 20);
        stored.ParameterNames.ShouldBe(["lr", "opt", "extra"]);
        stored.FixedValues.ShouldBe(new Dictionary<string, object?> { ["opt"] = "adam" });
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("not json {")]
    [InlineData("")]
    [InlineData("""{"replications": -4, "timeout_seconds": 1e300, "axes": 3, "points": {"a": 1}, "env": {"X": 5}}""")]
    public void A_damaged_row_reads_as_defaults_not_an_exception(string json)
    {
        var stored = StoredSpec.Read(json);
        stored.Replications.ShouldBe(1);
        stored.Command.ShouldBeNull();
        stored.ParameterNames.ShouldBeEmpty();
        stored.Env.ShouldBeEmpty();
    }
}
