using Expt.Spec;

namespace Expt;

/// <summary>
/// A C# experiment: a name, a default study configuration (parameters, replications...) and the trial body.
/// Build one with <see cref="Experiment.Define"/> or from a class with <see cref="ExperimentAttribute"/>.
/// </summary>
public sealed class ExperimentDefinition
{
    internal ExperimentDefinition(string name, ConfigMapping config, Func<Trial, Task<object?>> body)
    {
        Name = name;
        Config = config;
        Body = body;
    }

    /// <summary>The experiment name (also the default study name).</summary>
    public string Name { get; }

    /// <summary>The default configuration, as if written in a study file; <c>--set</c> overrides apply on top.</summary>
    public ConfigMapping Config { get; }

    public Func<Trial, Task<object?>> Body { get; }

    /// <summary>Builds the study spec, with overrides, validated like a study file.</summary>
    /// <exception cref="SpecException">The configuration is invalid.</exception>
    public StudySpec ToSpec(IEnumerable<string>? overrides = null, BindOptions? options = null)
    {
        var config = ConfigOverrides.Apply(Config, overrides ?? []);
        return StudySpecBinder.Bind(config, (options ?? new BindOptions()) with { DefaultName = Name, DefaultExperiment = Name });
    }
}
