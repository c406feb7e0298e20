using Expt.Spec;

namespace Expt.Core.Tests;

/// <summary>Builds specs from YAML text, the way a study file is read.</summary>
internal static class StudyFiles
{
    public static StudySpec Parse(string yaml, params string[] overrides) => Parse(yaml, new BindOptions(), overrides);

    public static StudySpec Parse(string yaml, BindOptions options, params string[] overrides) =>
        StudySpecBinder.Bind(ConfigOverrides.Apply(YamlConfigReader.Parse(yaml, "study.yaml"), overrides), options);

    public static IReadOnlyList<SpecError> Errors(string yaml, params string[] overrides) => Errors(yaml, new BindOptions(), overrides);

    public static IReadOnlyList<SpecError> Errors(string yaml, BindOptions options, params string[] overrides) =>
        Should.Throw<SpecException>(() => Parse(yaml, options, overrides)).Errors;

    public static IReadOnlyList<string> Points(StudySpec spec) => spec.Space.Expand(spec.Seed).Select(p => p.ToString()).ToList();
}
