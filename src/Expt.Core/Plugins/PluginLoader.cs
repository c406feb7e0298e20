using System.Reflection;

namespace Expt.Plugins;

/// <summary>
/// Loads plugins: each assembly listed (paths separated by the platform's path separator, as in <c>EXPT_PLUGINS</c>)
/// is loaded, and every public <see cref="IExptPlugin"/> in it is made and registered. A plugin shares Expt's own
/// assemblies (it is built against them), so what it registers is what Expt calls.
/// </summary>
public static class PluginLoader
{
    /// <summary>Loads the plugins of <paramref name="list"/> into <paramref name="registry"/>; returns how many registered.</summary>
    /// <exception cref="ExecutorSetupException">A listed file is missing, not an assembly, or holds no plugin; one line naming it.</exception>
    public static int Load(string? list, ExptRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (string.IsNullOrWhiteSpace(list))
        {
            return 0;
        }
        var count = 0;
        foreach (var path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                throw new ExecutorSetupException($"EXPT_PLUGINS: no file {full}");
            }
            Assembly assembly;
            try
            {
                assembly = Assembly.LoadFrom(full);
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException)
            {
                throw new ExecutorSetupException($"EXPT_PLUGINS: {full} is not a .NET assembly Expt can load: {ex.Message}", ex);
            }
            List<Type> plugins;
            try
            {
                plugins = [.. assembly.GetExportedTypes().Where(t => typeof(IExptPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)];
            }
            catch (Exception ex) when (ex is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
            {
                throw new ExecutorSetupException($"EXPT_PLUGINS: {full} cannot be loaded (a missing dependency, or built against another Expt?): {ex.Message}", ex);
            }
            if (plugins.Count == 0)
            {
                throw new ExecutorSetupException($"EXPT_PLUGINS: {full} has no public {nameof(IExptPlugin)} with a parameterless constructor");
            }
            foreach (var type in plugins)
            {
                Activate(type, registry);
                count++;
            }
        }
        return count;
    }

    /// <summary>Makes one plugin and lets it register; whatever it throws becomes one line that names it.</summary>
    internal static void Activate(Type type, ExptRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(type);
        try
        {
            ((IExptPlugin)Activator.CreateInstance(type)!).Register(registry);
        }
        catch (ExecutorSetupException)
        {
            throw;
        }
#pragma warning disable CA1031 // a third party's code: any failure of it is reported, never a crash of expt
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var inner = ex is TargetInvocationException { InnerException: { } cause } ? cause : ex;
            throw new ExecutorSetupException($"EXPT_PLUGINS: the plugin {type.FullName} failed to register: {inner.GetType().Name}: {inner.Message}", inner);
        }
    }
}
