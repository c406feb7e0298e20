using System.Collections;
using System.Reflection;
using System.Text;
using Expt.Spec;

namespace Expt;

/// <summary>The C# experiments a program offers, by name.</summary>
public sealed class ExperimentCatalog : IReadOnlyCollection<ExperimentDefinition>
{
    private readonly List<ExperimentDefinition> _items = [];

    public ExperimentCatalog()
    {
    }

    /// <summary>A catalog of the given experiments.</summary>
    public ExperimentCatalog(IEnumerable<ExperimentDefinition> experiments)
    {
        ArgumentNullException.ThrowIfNull(experiments);
        foreach (var experiment in experiments)
        {
            Add(experiment);
        }
    }

    /// <summary>
    /// Every class marked <see cref="ExperimentAttribute"/> and every static method marked
    /// <see cref="ExperimentProviderAttribute"/> in an assembly.
    /// </summary>
    public static ExperimentCatalog FromAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var types = assembly.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        var classes = types.Where(t => t.GetCustomAttribute<ExperimentAttribute>() is not null && !t.IsAbstract).Select(FromType);
        var providers = types
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.GetCustomAttribute<ExperimentProviderAttribute>() is not null)
            .Select(m => m.GetParameters().Length == 0 && m.ReturnType == typeof(ExperimentDefinition)
                ? (ExperimentDefinition)m.Invoke(null, null)!
                : throw new ArgumentException($"{m.DeclaringType?.Name}.{m.Name}: an [ExperimentProvider] must be a public static method with no parameters returning ExperimentDefinition"));
        return new ExperimentCatalog(classes.Concat(providers));
    }

    /// <summary>Adds an experiment; names must be unique.</summary>
    public ExperimentCatalog Add(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (Find(experiment.Name) is not null)
        {
            throw new ArgumentException($"two experiments are named '{experiment.Name}'", nameof(experiment));
        }
        _items.Add(experiment);
        return this;
    }

    /// <summary>The experiment of that name, or null.</summary>
    public ExperimentDefinition? Find(string name) => _items.FirstOrDefault(e => e.Name == name);

    public IReadOnlyList<string> Names => _items.Select(e => e.Name).ToList();

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public IEnumerator<ExperimentDefinition> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Builds a definition from a class marked <see cref="ExperimentAttribute"/>.</summary>
    public static ExperimentDefinition FromType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var attribute = type.GetCustomAttribute<ExperimentAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [Experiment] attribute", nameof(type));
        var run = type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name == "Run").OrderByDescending(m => m.GetParameters().Length).FirstOrDefault()
            ?? throw new ArgumentException($"{type.Name} has no public Run() or Run(Trial) method", nameof(type));
        if (run.GetParameters().Length > 1 || (run.GetParameters().Length == 1 && run.GetParameters()[0].ParameterType != typeof(Trial)))
        {
            throw new ArgumentException($"{type.Name}.Run must take no arguments or one Trial", nameof(type));
        }
        var builder = Experiment.Define(attribute.Name ?? KebabCase(type.Name)).Replications(attribute.Replications).Seed(attribute.Seed).Parallel(attribute.Parallel).Retries(attribute.Retries);
        if (attribute.TimeoutSeconds > 0)
        {
            builder.Timeout(TimeSpan.FromSeconds(attribute.TimeoutSeconds));
        }
        if (attribute.Samples > 0)
        {
            builder.Samples(attribute.Samples);
        }
        if (attribute.Where is not null)
        {
            builder.Where(attribute.Where);
        }
        var members = new List<(string Name, Action<object, object?> Set, Type Type)>();
        foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance).Where(m => m is PropertyInfo or FieldInfo))
        {
            var values = member.GetCustomAttribute<ParamsAttribute>();
            var sweep = member.GetCustomAttribute<SweepAttribute>();
            if (values is null && sweep is null)
            {
                continue;
            }
            var name = values?.Name ?? sweep?.Name ?? CamelCase(member.Name);
            if (values is not null)
            {
                builder.Param(name, [.. values.Values]);
            }
            else
            {
                builder.Sweep(name, sweep!.Expression);
            }
            members.Add(member switch
            {
                PropertyInfo p => (name, (Action<object, object?>)p.SetValue, p.PropertyType),
                FieldInfo f => (name, f.SetValue, f.FieldType),
                _ => throw new InvalidOperationException(),
            });
        }
        var convert = typeof(ParamSet).GetMethod(nameof(ParamSet.Convert), BindingFlags.NonPublic | BindingFlags.Static)!;
        return builder.Run(async trial =>
        {
            var instance = Activator.CreateInstance(type)!;
            foreach (var (name, set, memberType) in members)
            {
                var value = trial.Params.TryGetValue(name, out var v) ? v : null;
                set(instance, convert.MakeGenericMethod(memberType).Invoke(null, [value, name]));
            }
            object? returned;
            try
            {
                returned = run.Invoke(instance, run.GetParameters().Length == 1 ? [trial] : []);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
            return await Unwrap(returned).ConfigureAwait(false);
        });
    }

    private static async Task<object?> Unwrap(object? returned)
    {
        switch (returned)
        {
            case Task task:
                await task.ConfigureAwait(false);
                var type = task.GetType();
                return type.IsGenericType && type.GetProperty("Result") is { } result && result.PropertyType.Name != "VoidTaskResult" ? result.GetValue(task) : null;
            case ValueTask valueTask:
                await valueTask.ConfigureAwait(false);
                return null;
            default:
                if (returned is not null && returned.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(ValueTask<>))
                {
                    return await Unwrap(t.GetMethod("AsTask")!.Invoke(returned, [])).ConfigureAwait(false);
                }
                return returned;
        }
    }

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string KebabCase(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
