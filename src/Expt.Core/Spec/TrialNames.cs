namespace Expt.Spec;

/// <summary>
/// Trial names from the study's <c>trial_name</c> template (<c>"{dataset}-lr{lr}"</c>): parameters, plus the
/// replicate, seed and study. Names are labels for people; the trial id stays the identity.
/// </summary>
public static class TrialNames
{
    /// <summary>Placeholders a name may use besides parameters (and their other names, <see cref="CommandTemplate.Aliases"/>).</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["replicate", "seed", "study"];

    /// <summary>The longest name kept; a longer rendering is cut.</summary>
    public const int MaxLength = 200;

    /// <summary>The name of one trial.</summary>
    public static string Render(string template, ParamSet parameters, int replicate, long seed, string study)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(parameters);
        // {trial_replicate}, {trial_seed}, {study_name}: the built-ins' other names, as commands accept them.
        var name = CommandTemplate.Fill(template, placeholder => (CommandTemplate.Aliases.TryGetValue(placeholder, out var builtIn) ? builtIn : placeholder) switch
        {
            "replicate" => replicate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "seed" => seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "study" => study,
            _ => parameters.Placeholder(placeholder.StartsWith("params.", StringComparison.Ordinal) ? placeholder["params.".Length..] : placeholder) ?? string.Empty,
        });
        return name.Length > MaxLength ? name[..MaxLength] : name;
    }
}
