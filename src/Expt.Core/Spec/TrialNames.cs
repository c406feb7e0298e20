namespace Expt.Spec;

/// <summary>
/// Trial names from the study's <c>trial_name</c> template (<c>"{dataset}-lr{lr}"</c>): parameters, plus the
/// replicate, seed and study, the point's index in plan order (<c>{point}</c>: <c>random-{point}</c> numbers the draws
/// of a random search) and the draw's index within its grid point (<c>{sample}</c>). A parameter named <c>point</c> or
/// <c>sample</c> keeps its name. Names are labels for people; the trial id stays the identity.
/// </summary>
public static class TrialNames
{
    /// <summary>Placeholders a name may use besides parameters (and their other names, <see cref="CommandTemplate.Aliases"/>).</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["replicate", "seed", "study", "point", "sample"];

    /// <summary>Built-ins a parameter of the same name takes over (they came after studies could have such parameters).</summary>
    public static readonly IReadOnlyList<string> Yielding = ["point", "sample"];

    /// <summary>The longest name kept; a longer rendering is cut.</summary>
    public const int MaxLength = 200;

    /// <summary>The name of one trial.</summary>
    /// <param name="template">The study's <c>trial_name</c>.</param>
    /// <param name="parameters">The trial's point.</param>
    /// <param name="replicate">Its replicate index.</param>
    /// <param name="seed">Its seed.</param>
    /// <param name="study">The study's name.</param>
    /// <param name="point">The point's index in plan order.</param>
    /// <param name="sample">The random draw's index within its grid point (0 without random parameters).</param>
    public static string Render(string template, ParamSet parameters, int replicate, long seed, string study, long point = 0, int sample = 0)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(parameters);
        // {trial_replicate}, {trial_seed}, {study_name}: the built-ins' other names, as commands accept them.
        var name = CommandTemplate.Fill(template, placeholder => (CommandTemplate.Aliases.TryGetValue(placeholder, out var builtIn) ? builtIn : placeholder) switch
        {
            "replicate" => replicate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "seed" => seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "study" => study,
            "point" when !parameters.Contains("point") => point.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "sample" when !parameters.Contains("sample") => sample.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => parameters.Placeholder(placeholder.StartsWith("params.", StringComparison.Ordinal) ? placeholder["params.".Length..] : placeholder) ?? string.Empty,
        });
        return name.Length > MaxLength ? name[..MaxLength] : name;
    }
}
