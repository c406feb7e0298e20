using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

/// <summary>Studies made of several files: include:, Hydra's defaults: and group choices, merge keys, x- blocks.</summary>
public sealed class ConfigComposerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("expt-compose-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    // As the CLI loads a file: shown by the name the user typed (here relative to the temporary directory).
    private StudySpec Load(string name, params string[] overrides) => StudyLoader.LoadFile(Path.Combine(_dir, name), overrides, new BindOptions(), name);

    private SpecError LoadError(string name, params string[] overrides) => Should.Throw<SpecException>(() => Load(name, overrides)).Errors.Single();

    [Fact]
    public void An_included_file_is_the_base_and_the_including_file_wins_key_by_key()
    {
        Write("base.yaml", "command: run {lr} {bs}\nparams:\n  lr: [0.1, 0.2]\n  bs: 16\nreplications: 3\nseed: 7\n");
        Write("study.yaml", "include: base.yaml\nname: s\nparams:\n  bs: [8, 32]\nreplications: 5\n");
        var spec = Load("study.yaml");
        spec.Replications.ShouldBe(5);
        spec.Seed.ShouldBe(7);
        spec.Command!.Text.ShouldBe("run {lr} {bs}");
        Points(spec).ShouldBe(["lr=0.1 bs=8", "lr=0.1 bs=32", "lr=0.2 bs=8", "lr=0.2 bs=32"]);
    }

    [Fact]
    public void A_mistake_in_an_included_file_is_reported_at_that_file_and_line()
    {
        Write("sub/base.yaml", "command: run\nreplications: zero\n");
        Write("study.yaml", "name: s\ninclude: [sub/base.yaml]\n");
        LoadError("study.yaml").ToString().ShouldBe("sub/base.yaml:2: replications: expected an integer of at least 1, got 'zero'");
        Write("missing.yaml", "name: s\ncommand: run\ninclude: nope.yaml\n");
        LoadError("missing.yaml").ToString().ShouldBe("missing.yaml:3: include: no such file nope.yaml");
    }

    [Fact]
    public void An_include_cycle_is_refused_with_its_chain()
    {
        Write("a.yaml", "name: s\ncommand: run\ninclude: b.yaml\n");
        Write("b.yaml", "include: c.yaml\n");
        Write("c.yaml", "include: a.yaml\n");
        LoadError("a.yaml").ToString().ShouldBe("c.yaml:1: include: a cycle: a.yaml → b.yaml → c.yaml → a.yaml");
    }

    [Fact]
    public void Defaults_read_a_group_option_into_its_parameters_and_set_chooses_another()
    {
        Write("model/resnet.yaml", "depth: 50\nwidth: 64\n");
        Write("model/vit.yaml", "depth: 12\npatch: [16, 32]\n");
        Write("optim/fast.yaml", "# @package _global_\nreplications: 2\nparams:\n  lr: 0.1\n");
        Write("study.yaml", "name: s\ndefaults:\n  - model: resnet\n  - optim: fast\n  - _self_\ncommand: run {model.depth} {lr}\n");
        var resnet = Load("study.yaml");
        resnet.Replications.ShouldBe(2);
        Points(resnet).ShouldBe(["model.depth=50 model.width=64 lr=0.1"]);
        Points(Load("study.yaml", "model=vit")).ShouldBe(["model.depth=12 model.patch=16 lr=0.1", "model.depth=12 model.patch=32 lr=0.1"]);
        // Other overrides still apply, to the composed study.
        Points(Load("study.yaml", "model=vit", "model.depth=24", "replications=1")).ShouldBe(["model.depth=24 model.patch=16 lr=0.1", "model.depth=24 model.patch=32 lr=0.1"]);

        LoadError("study.yaml", "model=vitt").ToString().ShouldBe("--set: model: no option 'vitt' in model/ (did you mean 'vit'?); expected one of: resnet, vit");
        LoadError("study.yaml", "model=resnet,vit").Message.ShouldStartWith("'model' is a config group (defaults:): it takes one option");
        Write("typo.yaml", "name: s\ncommand: run\ndefaults: [model: resnt]\n");
        LoadError("typo.yaml").ToString().ShouldBe("typo.yaml:3: defaults.model: no option 'resnt' in model/ (did you mean 'resnet'?); expected one of: resnet, vit");
    }

    [Fact]
    public void Merge_keys_and_top_level_x_blocks_reuse_a_block()
    {
        var spec = Parse("""
            x-common: &common
              command: run {lr} {bs}
              replications: 2
              timeout: 1m
            x-space: &space
              lr: [1, 2]
              bs: 8
            name: s
            <<: *common
            replications: 4
            params:
              <<: *space
              bs: 16
            """);
        spec.Command!.Text.ShouldBe("run {lr} {bs}");
        spec.Replications.ShouldBe(4); // written here: it wins over the merged value
        spec.Timeout.ShouldBe(TimeSpan.FromMinutes(1));
        Points(spec).ShouldBe(["lr=1 bs=16", "lr=2 bs=16"]);

        // A list of blocks: the first wins among them, the mapping's own keys over all.
        Points(Parse("x-a: &a {x: 1, y: 1}\nx-b: &b {x: 2, z: 2}\nname: s\ncommand: run\nparams:\n  <<: [*a, *b]\n  y: 3\n")).ShouldBe(["x=1 y=3 z=2"]);
        Errors("name: s\ncommand: run\nparams:\n  <<: 3\n").Single().ToString().ShouldBe("study.yaml:4: params.<<: a merge key takes a mapping or a list of mappings (<<: *base or <<: [*a, *b])");
        // Still one key once, written twice, is a mistake.
        Errors("name: s\ncommand: run\nseed: 1\nseed: 2\n").Single().Message.ShouldBe("duplicate key");
    }

    [Fact]
    public void The_resolved_study_prints_as_yaml_that_reads_back_to_the_same_study()
    {
        Write("model/vit.yaml", "depth: 12\nname: \"007\"\nsizes: [16, 32]\n");
        Write("base.yaml", "command: run {model.depth} {lr}\nparams:\n  lr: logspace(-3, -1, 3)\n  tag: \"yes\"\n  note: \"a: b, c\"\n");
        Write("study.yaml", "name: s\ninclude: base.yaml\ndefaults: [model: vit]\nreplications: 2\nexclude: [{lr: 0.01}]\n");
        var spec = Load("study.yaml");
        var yaml = ConfigYaml.Write(StudyLoader.ResolveFile(Path.Combine(_dir, "study.yaml"), []));
        yaml.ShouldNotContain("include"); // composed: nothing left to include
        var again = Parse(yaml, new BindOptions { BaseDirectory = _dir });
        again.ToJson().ShouldBe(spec.ToJson());
        Points(again).ShouldBe(Points(spec));
    }

    [Fact]
    public void Hostile_includes_are_bounded()
    {
        // Each level includes the next twice: 2^12 reads if nothing stopped it.
        for (var level = 0; level < 12; level++)
        {
            Write($"f{level}.yaml", $"include: [f{level + 1}.yaml, f{level + 1}.yaml]\n");
        }
        Write("f12.yaml", "seed: 1\n");
        Write("bomb.yaml", "name: s\ncommand: run\ninclude: f0.yaml\n");
        LoadError("bomb.yaml").Message.ShouldBe("more than 64 files make up this study");

        Write("zero.yaml", "name: s\ncommand: run\ninclude: /dev/zero\n");
        LoadError("zero.yaml").Message.ShouldStartWith("the file is larger than the limit of");
        Write("dir.yaml", "name: s\ncommand: run\ninclude: model\n");
        Directory.CreateDirectory(Path.Combine(_dir, "model"));
        LoadError("dir.yaml").ToString().ShouldBe("dir.yaml:3: include: no such file model");
        Write("self.yaml", "name: s\ncommand: run\ninclude: self.yaml\n");
        LoadError("self.yaml").Message.ShouldBe("a cycle: self.yaml → self.yaml");
    }
}
