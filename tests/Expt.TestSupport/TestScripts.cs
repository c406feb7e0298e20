using System.Diagnostics;

namespace Expt.TestSupport;

/// <summary>Runs the shell scripts in tests/scripts (throwaway servers), failing with their error output.</summary>
public static class TestScripts
{
    /// <summary>Runs tests/scripts/<paramref name="script"/> with <paramref name="args"/> and returns what it printed.</summary>
    public static Task<string> RunAsync(string script, params string[] args) => RunAsync(script, new Dictionary<string, string>(), args);

    /// <summary>Runs tests/scripts/<paramref name="script"/> with more environment variables.</summary>
    public static async Task<string> RunAsync(string script, IDictionary<string, string> environment, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var path = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../scripts", script));
        var info = new ProcessStartInfo("bash", [path, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed: {await error}");
        }
        return await output;
    }
}
