using System.Diagnostics;
using System.Globalization;

namespace Expt.Slurm;

/// <summary>Slurm's own commands (sbatch, squeue, scancel), run as processes.</summary>
public static class SlurmClient
{
    /// <summary>One array task as squeue shows it.</summary>
    public sealed record Task(string JobId, string TaskId, string State, string Reason);

    public static async Task<string> SubmitAsync(string script, CancellationToken cancellationToken)
    {
        var output = await RunAsync("sbatch", ["--parsable", script], cancellationToken).ConfigureAwait(false);
        return output.Trim().Split(';')[0];
    }

    /// <summary>The tasks of these jobs that Slurm still knows (pending or running); finished ones are gone.</summary>
    public static async Task<IReadOnlyList<Task>> QueueAsync(IReadOnlyList<string> jobIds, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0)
        {
            return [];
        }
        var output = await RunAsync("squeue", ["-h", "-r", "-j", string.Join(',', jobIds), "-o", "%F|%K|%T|%R"], cancellationToken, allowFailure: true).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Where(f => f.Length == 4)
            .Select(f => new Task(f[0], f[1], f[2], f[3]))
            .ToList();
    }

    public static Task<string> CancelAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync("scancel", arguments, cancellationToken, allowFailure: true);

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new SlurmException($"{program} was not found: expt slurm needs Slurm's commands on the PATH (run it on a login node of the cluster)");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0 && !allowFailure)
            {
                throw new SlurmException($"{program} failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {(await stderr.ConfigureAwait(false)).Trim()}") { Failed = true };
            }
            return await stdout.ConfigureAwait(false);
        }
    }
}
