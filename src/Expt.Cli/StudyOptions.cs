using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Expt.Spec;

namespace Expt.Cli;

/// <summary>The study to run, from a file, a hosted experiment or a command, with overrides (shared by run and slurm submit).</summary>
internal sealed class StudyOptions
{
    public Argument<string?> Target { get; } = new("study")
    {
        Description = "A study file (YAML), or the name of a C# experiment of the hosting program",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string[]> Set { get; } = new("--set", "-s")
    {
        Description = "Override a key: --set lr=0.1, a sweep: --set lr=0.1,0.2 or --set 'lr=range(1,5)'",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<int?> Parallel { get; } = GlobalOptions.Integer("--parallel", "-j", "Trials at once: N; 0 for one per core; -1 all cores, -2 all but one (default: the file's 'parallel', else one per core)", "a number of trials to run at once");

    public Option<bool> Yes { get; } = new("--yes", "-y") { Description = "Accept a study of more than 1,000,000 trials (points × replications)" };

    public Option<string?> Name { get; } = new("--name") { Description = "Study name (overrides the file's)" };

    /// <summary>The study file composed (includes, config groups) with <c>--set</c> applied, as YAML; null without a file.</summary>
    public string? ResolvedYaml(ParseResult parseResult, CliEnvironment env)
    {
        var target = parseResult.GetValue(Target);
        if (target is null || !File.Exists(Path.Combine(env.WorkingDirectory, target)))
        {
            return null;
        }
        var root = StudyLoader.ResolveFile(Path.Combine(env.WorkingDirectory, target), parseResult.GetValue(Set) ?? [], target);
        if (parseResult.GetValue(Name) is { } name)
        {
            var entries = root.Entries.Where(e => e.Key != "name").Prepend(new ConfigEntry("name", SourceLocation.CommandLine, new ConfigScalar(name, true, SourceLocation.CommandLine)));
            root = new ConfigMapping([.. entries], root.Location);
        }
        return ConfigYaml.Write(root);
    }

    public StudySpec Load(ParseResult parseResult, CliEnvironment env, IReadOnlyList<string> trailingCommand)
    {
        var sets = parseResult.GetValue(Set) ?? [];
        var options = new BindOptions
        {
            BaseDirectory = env.WorkingDirectory,
            AllowLarge = parseResult.GetValue(Yes),
            KnownExperiments = env.Experiments.Names,
        };
        var target = parseResult.GetValue(Target);
        StudySpec spec;
        if (trailingCommand.Count > 0)
        {
            if (target is not null)
            {
                throw new UserException($"give either a study file or a command after --, not both ('{target}')");
            }
            var name = parseResult.GetValue(Name) ?? "cmd-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', trailingCommand))))[..8];
            spec = StudyLoader.FromCommand(name, trailingCommand, sets, options);
        }
        else if (target is null)
        {
            if (env.Experiments.Count != 1)
            {
                throw new UserException(env.Experiments.Count == 0
                    ? "expected a study file, e.g. expt run examples/quickstart/expt.yaml, or a command after --"
                    : $"expected a study file or one of this program's experiments: {string.Join(", ", env.Experiments.Names)}");
            }
            spec = env.Experiments.First().ToSpec(sets, options);
        }
        else if (File.Exists(Path.Combine(env.WorkingDirectory, target)))
        {
            spec = StudyLoader.LoadFile(Path.Combine(env.WorkingDirectory, target), sets, options, target);
        }
        else if (env.Experiments.Find(target) is { } experiment)
        {
            spec = experiment.ToSpec(sets, options);
        }
        else
        {
            throw new UserException(env.Experiments.Count == 0
                ? $"{target}: no such study file"
                : $"{target}: no such study file or experiment; this program's experiments: {string.Join(", ", env.Experiments.Names)}");
        }
        if (parseResult.GetValue(Name) is { } newName && trailingCommand.Count == 0)
        {
            if (!StudySpecBinder.IsValidStudyName(newName))
            {
                throw new UserException($"--name: '{newName}' is not a valid study name; expected letters, digits, '.', '_' or '-'");
            }
            spec = spec with { Name = newName };
        }
        if (parseResult.GetValue(Parallel) is { } parallel)
        {
            spec = parallel is >= -InputLimits.MaxParallel and <= InputLimits.MaxParallel
                ? spec with { Parallel = parallel }
                : throw new UserException($"--parallel: expected a number of trials at once up to {InputLimits.MaxParallel}, 0 for one per core, or -1 (all cores), -2 (all but one)..., got {parallel}");
        }
        return spec;
    }
}
