using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

public sealed class StudySpecBinderTests
{
    [Fact]
    public void A_full_study_file_binds()
    {
        var spec = Parse("""
            name: lr-sweep
            description: learning-rate sweep
            tags: [grid]
            command: python3 train.py --lr {lr} --bs {batch_size} --seed {seed}
            params:
              lr: [0.001, 0.01, 0.1]
              batch_size: range(16, 64, 16)
              optimizer: adam
              model.depth: [2, 4]
            replications: 5
            seed: 42
            parallel: 3
            timeout: 10m
            retries: 1
            """);
        spec.Name.ShouldBe("lr-sweep");
        spec.Tags.ShouldBe(["grid"]);
        spec.Replications.ShouldBe(5);
        spec.Seed.ShouldBe(42);
        spec.Parallel.ShouldBe(3);
        spec.Timeout.ShouldBe(TimeSpan.FromMinutes(10));
        spec.Retries.ShouldBe(1);
        spec.Space.Expand(42).Count.ShouldBe(3 * 3 * 2);
        Parse("name: s\ncommand: x\nparallel: auto\n").Parallel.ShouldBe(0);
    }

    [Theory]
    [InlineData("auto", 8)]
    [InlineData("null", 8)]
    [InlineData("0", 8)]
    [InlineData("3", 3)]
    [InlineData("-1", 8)]
    [InlineData("-2", 7)]
    [InlineData("-20", 1)]
    public void Worker_counts_are_read_as_joblib_yanex_and_gnu_parallel_users_write_them(string parallel, int onEightCores)
    {
        var spec = Parse($"name: s\ncommand: x\nparallel: {parallel}\n");
        StudySpec.ResolveParallel(spec.Parallel, 8).ShouldBe(onEightCores);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_file_line_and_key()
    {
        var errors = Errors("""
            name: s
            command: run {lrr}
            params:
              lr: []
              bs: range(0, 10, 0)
            replications: zero
            bogus: 1
            """);
        errors.Select(e => e.ToString()).ShouldBe([
            "study.yaml:7: bogus: unknown key; expected one of: name, description, tags, command, shell, workdir, experiment, params, linked, points, exclude, where, samples, replications, seed, parallel, timeout, retries, env, system_info, limits, keep_children, objectives, trial_name, resources, priority, race, python, executor",
            "study.yaml:4: params.lr: empty list; expected at least one value (or, with points: [], a column filled by expt add)",
            "study.yaml:5: params.bs: range: step must not be zero",
            "study.yaml:6: replications: expected an integer of at least 1, got 'zero'",
            "study.yaml:2: command: unknown placeholder {lrr} (did you mean {lr}?); expected a parameter name or one of {seed}, {trial_id}, {replicate}, {trial_dir}, {study}, {params_json}",
        ], ignoreOrder: true);
    }

    [Fact]
    public void Typos_in_keys_get_a_suggestion() =>
        Errors("name: s\ncommand: x\nreplicatons: 3\n").Single().Message.ShouldStartWith("unknown key (did you mean 'replications'?)");

    [Fact]
    public void Malformed_yaml_names_the_line()
    {
        var error = Should.Throw<SpecException>(() => YamlConfigReader.Parse("name: s\nparams:\n  lr: [0.1, 0.2\ncommand: x\n", "bad.yaml")).Errors.Single();
        error.Location.File.ShouldBe("bad.yaml");
        error.Location.File.ShouldBe("bad.yaml");
        error.Message.ShouldStartWith("malformed YAML");
    }

    [Fact]
    public void Malformed_yaml_with_a_position_names_the_line()
    {
        var error = Should.Throw<SpecException>(() => YamlConfigReader.Parse("name: s\ncommand: x\n  bad: indentation: here\n", "bad.yaml")).Errors.Single();
        error.ToString().ShouldStartWith("bad.yaml:3: malformed YAML");
    }

    [Fact]
    public void A_grid_over_the_limit_needs_yes()
    {
        const string yaml = "name: s\ncommand: x\nparams:\n  a: range(1000)\n  b: range(1001)\n";
        Errors(yaml).Single().Message.ShouldContain("the study has 1,001,000 points × 1 replication = 1,001,000 trials, more than the limit of 1,000,000 trials; pass --yes");
        Parse(yaml, new BindOptions { AllowLarge = true }).Space.EstimatedSize.ShouldBe(1_001_000);
    }

    [Theory]
    [InlineData("params:\n  a: range(1000)\nreplications: 1000000\n", "1,000 points × 1,000,000 replications = 1,000,000,000 trials")]
    [InlineData("params:\n  a: range(1000)\nreplications: 1001\n", "1,000 points × 1,001 replications = 1,001,000 trials")]
    [InlineData("params:\n  a: range(100000)\nreplications: {min: 3, max: 20, until: n >= 5}\n", "100,000 points × 20 replicates at most = 2,000,000 trials")]
    public void The_guard_counts_trials_not_points(string body, string shape)
    {
        var errors = Errors("name: s\ncommand: x\n" + body);
        errors.Single().Message.ShouldBe($"the study has {shape}, more than the limit of 1,000,000 trials; pass --yes to run it anyway");
    }

    [Theory]
    [InlineData("name: s\nparams:\n  x: 1\n", "command: missing")]
    [InlineData("name: 'bad name'\ncommand: x\n", "not a valid study name")]
    [InlineData("name: s\ncommand: x\ntimeout: soon\n", "expected a positive duration")]
    [InlineData("name: s\ncommand: x\nparallel: 1.5\n", "expected auto, a number of trials at once")]
    [InlineData("name: s\ncommand: x\nseed: 1.5\n", "expected an integer, got float")]
    [InlineData("name: s\ncommand: x\nlinked:\n  - {a: [1, 2], b: [1]}\n", "linked lists must have the same length")]
    [InlineData("name: s\ncommand: x\nparams:\n  x: uniform(0, 1)\n", "need 'samples: N' draws")]
    [InlineData("name: s\ncommand: x\nparams:\n  x: 1\nwhere: 'y > 1'\n", "'y' is not a parameter")]
    [InlineData("name: s\ncommand: x\nparams:\n  x: 1\nwhere: 'x >'\n", "ends too early")]
    [InlineData("name: s\ncommand: x\nparams:\n  x: 1\nexclude:\n  - {y: 2}\n", "not a parameter")]
    [InlineData("name: s\ncommand: \"x 'unbalanced\"\n", "unbalanced single quote")]
    [InlineData("- a\n- b\n", "expected a mapping")]
    public void Bad_input_is_explained(string yaml, string expected)
    {
        var errors = Should.Throw<SpecException>(() => Parse(yaml)).Errors;
        errors.ShouldContain(e => e.ToString().Contains(expected), string.Join("\n", errors));
    }

    [Fact]
    public void Trial_names_accept_the_other_names_of_the_built_ins_as_commands_do()
    {
        var spec = Parse("name: s\ncommand: x {params.seed}\ntrial_name: \"{params.seed}-{trial_seed}-r{trial_replicate}-{study_name}\"\nparams:\n  seed: [7]\n");
        spec.TrialName.ShouldNotBeNull();
        TrialNames.Render(spec.TrialName, new ParamSet([new("seed", 7L)]), 2, 12345, "s").ShouldBe("7-12345-r2-s");
    }

    [Fact]
    public void Random_search_names_its_draws_by_point_and_by_sample_within_a_grid_point()
    {
        var spec = Parse("name: r\ncommand: x\ntrial_name: \"random-{point}/{opt}-s{sample}\"\nsamples: 3\nparams:\n  opt: [a, b]\n  lr: uniform(0, 1)\n");
        var names = Expt.Trials.TrialPlan.Create(spec).Select(t => TrialNames.Render(spec.TrialName!, t.Params, t.Replicate, t.Seed, spec.Name, t.PointIndex, t.Sample)).ToList();
        names.ShouldBe(["random-0/a-s0", "random-1/a-s1", "random-2/a-s2", "random-3/b-s0", "random-4/b-s1", "random-5/b-s2"]);
        // A parameter called sample keeps its name; an adaptive study has no {sample} for the replicates it adds.
        var own = Parse("name: r\ncommand: x\ntrial_name: \"s{sample}\"\nparams:\n  sample: [7]\n");
        TrialNames.Render(own.TrialName!, own.Space.Expand(0)[0], 0, 1, "r", 0, 0).ShouldBe("s7");
        Should.Throw<SpecException>(() => Parse("name: r\ncommand: x\ntrial_name: \"s{sample}\"\nparams:\n  x: [1, 2]\nadaptive:\n  metric: y\n  min: 2\n  max: 4\n  until: ci_width < 0.1\n")).Message
            .ShouldContain("use {point}");
    }
}
