namespace Expt.Plugins;

/// <summary>
/// The entry point of a plugin: a public type with a parameterless constructor in an assembly listed in
/// <c>EXPT_PLUGINS</c>. Expt makes one and calls <see cref="Register"/> before any command runs; the plugin adds its
/// parts (stores, executors) to the registry, exactly as Expt's own parts are added.
/// </summary>
public interface IExptPlugin
{
    /// <summary>Adds the plugin's parts.</summary>
    void Register(ExptRegistry registry);
}
