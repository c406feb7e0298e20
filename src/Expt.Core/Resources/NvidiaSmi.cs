using System.Diagnostics;

namespace Expt.Resources;

/// <summary>
/// <c>nvidia-smi</c>'s query interface (<c>--query-gpu=... --format=csv,noheader,nounits</c>), found on <c>PATH</c>:
/// the real one where there are NVIDIA GPUs, a stand-in in the tests.
/// </summary>
public static class NvidiaSmi
{
    /// <summary>The answer's lines (one per GPU, fields separated by commas), or null when the program is missing, fails or hangs.</summary>
    public static IReadOnlyList<string>? Query(string fields, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (Execution.TrialProcesses.FindProgram("nvidia-smi", Directory.GetCurrentDirectory()) is not { } program)
        {
            return null;
        }
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"--query-gpu={fields}");
        info.ArgumentList.Add("--format=csv,noheader,nounits");
        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                Execution.ProcessTree.Kill(process, group: false);
                return null;
            }
            if (process.ExitCode != 0 || !output.Wait(timeout))
            {
                return null;
            }
            var text = output.Result;
            return text.Length > 1 << 20 ? null : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
