using Expt.Plugins;
using Expt.Spec;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

/// <summary>A study's <c>executor:</c>: bound, stored (secrets masked) and read back; a registry that has no such kind says so.</summary>
public sealed class ExecutorChoiceTests
{
    [Fact]
    public void An_executor_is_a_kind_with_text_options_stored_with_the_study_and_a_secret_option_masked()
    {
        var spec = Parse("name: e\ncommand: run\nexecutor: {kind: wrap, with: \"ssh gpu1\", api_token: hunter2hunter2}\n");
        spec.Executor.ShouldBe(new ExecutorChoice("wrap", new Dictionary<string, string> { ["with"] = "ssh gpu1", ["api_token"] = "hunter2hunter2" }), new ExecutorChoiceComparer());
        var stored = StoredSpec.Read(spec.ToJson()).Executor!;
        stored.Kind.ShouldBe("wrap");
        stored.Options["with"].ShouldBe("ssh gpu1");
        stored.Options["api_token"].ShouldNotContain("hunter2");
        Parse("name: e\ncommand: run\nexecutor: wrap\n").Executor!.Kind.ShouldBe("wrap");
    }

    [Theory]
    [InlineData("executor: {with: x}", "executor.kind: missing")]
    [InlineData("executor: Wrap", "'Wrap' is not a kind")]
    [InlineData("executor: [a]", "expected a kind a plugin registers")]
    [InlineData("executor: {kind: wrap, with: [a]}", "executor.with: expected a single value")]
    public void A_bad_executor_is_one_located_line(string line, string expected) =>
        Errors("name: e\ncommand: run\n" + line + "\n").ShouldContain(e => e.ToString().Contains("study.yaml:3") && e.ToString().Contains(expected));

    [Fact]
    public void A_kind_no_plugin_registers_is_named_with_those_that_are()
    {
        var executors = new ExecutorProviders();
        Should.Throw<ExecutorSetupException>(() => executors.For("wrap", "s")).Message.ShouldContain("load its plugin with EXPT_PLUGINS");
        Should.Throw<ExecutorSetupException>(() => PluginLoader.Load("/nonexistent/plugin.dll", new ExptRegistry(new Storage.StoreProviders()))).Message.ShouldBe("EXPT_PLUGINS: no file /nonexistent/plugin.dll");
        PluginLoader.Load(" ", new ExptRegistry(new Storage.StoreProviders())).ShouldBe(0);
    }

    public sealed class ThrowingPlugin : IExptPlugin
    {
        public void Register(ExptRegistry registry) => throw new InvalidOperationException("no licence file");
    }

    [Fact]
    public void A_plugin_that_is_not_an_assembly_or_fails_to_register_is_one_line()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not an assembly");
            Should.Throw<ExecutorSetupException>(() => PluginLoader.Load(file, new ExptRegistry(new Storage.StoreProviders()))).Message.ShouldContain("is not a .NET assembly Expt can load");
        }
        finally
        {
            File.Delete(file);
        }
        Should.Throw<ExecutorSetupException>(() => PluginLoader.Activate(typeof(ThrowingPlugin), new ExptRegistry(new Storage.StoreProviders()))).Message
            .ShouldBe($"EXPT_PLUGINS: the plugin {typeof(ThrowingPlugin).FullName} failed to register: InvalidOperationException: no licence file");
    }

    private sealed class ExecutorChoiceComparer : IEqualityComparer<ExecutorChoice?>
    {
        public bool Equals(ExecutorChoice? x, ExecutorChoice? y) => x is not null && y is not null && x.Kind == y.Kind && x.Options.Count == y.Options.Count && x.Options.All(o => y.Options.TryGetValue(o.Key, out var v) && v == o.Value);

        public int GetHashCode(ExecutorChoice? obj) => obj?.Kind.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
