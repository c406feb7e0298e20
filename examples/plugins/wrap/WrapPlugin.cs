using Expt.Plugins;

namespace Expt.Plugin.Wrap;

/// <summary>
/// A sample plugin: the <c>wrap</c> executor runs each trial's command through another program, given by the study:
/// <c>executor: {kind: wrap, with: "nice -n 10"}</c> (or <c>"ssh gpu1"</c>, <c>"docker run --rm -v $PWD:/w -w /w image"</c>).
/// Loaded by an unmodified <c>expt</c> with <c>EXPT_PLUGINS=path/to/Expt.Plugin.Wrap.dll</c>.
/// </summary>
public sealed class WrapPlugin : IExptPlugin
{
    /// <inheritdoc />
    public void Register(ExptRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Executors.Add(new WrapExecutorProvider());
    }
}
