namespace Expt.Plugins;

/// <summary>The kinds of executor Expt registers itself; a plugin's kind may be none of these.</summary>
public static class ExecutorKinds
{
    /// <summary>A command line per trial (<c>command:</c>).</summary>
    public const string Command = "command";

    /// <summary>A Python function per trial (<c>python:</c>), in warm interpreters.</summary>
    public const string Python = "python";

    /// <summary>A C# experiment of the hosting program, in its process or in worker processes (<c>--isolate</c>).</summary>
    public const string CSharp = "csharp";
}
