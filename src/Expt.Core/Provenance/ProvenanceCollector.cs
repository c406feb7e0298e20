using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Expt.Provenance;

/// <summary>
/// Records where and how a study ran: the machine, the runtime, the exact command line and configuration, and the
/// git state of the code (commit, branch, and the patch of uncommitted changes). Secrets are redacted.
/// </summary>
public static class ProvenanceCollector
{
    /// <summary>The largest uncommitted patch kept; a larger one is cut, and says so.</summary>
    public const int MaxPatchBytes = 256 * 1024;

    private static readonly string[] SelectedVariablePrefixes =
        ["EXPT_", "SLURM_", "CUDA_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON", "CONDA_", "VIRTUAL_ENV", "DOTNET_", "HOSTNAME", "USER", "LANG"];

    /// <summary>The study's provenance as a JSON object.</summary>
    /// <param name="level">How much of the machine is recorded.</param>
    /// <param name="arguments">The command line.</param>
    /// <param name="workingDirectory">Where it ran.</param>
    /// <param name="specJson">The resolved study definition.</param>
    /// <param name="now">When.</param>
    /// <param name="pythonJson">The Python function's source (<see cref="PythonSource.Describe"/>), for a Python study.</param>
    public static string ForStudy(SystemInfoLevel level, IReadOnlyList<string> arguments, string workingDirectory, string? specJson, DateTimeOffset now, string? pythonJson = null) =>
        Write(w => Invocation(w, level, arguments, workingDirectory, specJson, now, pythonJson));

    /// <summary>
    /// The provenance of one invocation (<c>expt run</c>, <c>expt worker</c>): command line, directory, machine and
    /// git state, without a time, so that identical invocations share one record (see <see cref="RunId"/>).
    /// </summary>
    /// <param name="level">How much of the machine is recorded.</param>
    /// <param name="arguments">The command line.</param>
    /// <param name="workingDirectory">Where it ran.</param>
    /// <param name="pythonJson">The Python function's source (<see cref="PythonSource.Describe"/>): a changed module is another run.</param>
    public static string ForRun(SystemInfoLevel level, IReadOnlyList<string> arguments, string workingDirectory, string? pythonJson = null) =>
        Write(w => Invocation(w, level, arguments, workingDirectory, specJson: null, now: null, pythonJson));

    /// <summary>Who ran what where: version, command line, directory, configuration, machine, git state.</summary>
    private static void Invocation(Utf8JsonWriter w, SystemInfoLevel level, IReadOnlyList<string> arguments, string workingDirectory, string? specJson, DateTimeOffset? now, string? pythonJson)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        w.WriteString("expt", typeof(ProvenanceCollector).Assembly.GetName().Version?.ToString(3));
        if (now is { } time)
        {
            w.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        }
        w.WriteString("system_info", level.ToString().ToLowerInvariant());
        if (pythonJson is not null)
        {
            // Kept at every level: which code produced a result is not a detail of the machine.
            w.WritePropertyName("python");
            w.WriteRawValue(pythonJson);
        }
        if (level == SystemInfoLevel.None)
        {
            return;
        }
        w.WriteStartArray("argv");
        foreach (var arg in Redactor.RedactArguments(arguments))
        {
            w.WriteStringValue(arg);
        }
        w.WriteEndArray();
        w.WriteString("cwd", workingDirectory);
        if (specJson is not null)
        {
            w.WritePropertyName("config");
            w.WriteRawValue(specJson);
        }
        w.WritePropertyName("system");
        w.WriteRawValue(Machine(level));
        if (Git(workingDirectory) is { } git)
        {
            w.WritePropertyName("git");
            w.WriteRawValue(git);
        }
    }

    /// <summary>The content address of an invocation's provenance: the same code, machine and command give the same id.</summary>
    public static string RunId(string provenanceJson)
    {
        ArgumentNullException.ThrowIfNull(provenanceJson);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(provenanceJson)))[..16];
    }

    /// <summary>
    /// How the code of <paramref name="current"/> differs from <paramref name="earlier"/> (both provenance JSON with
    /// a <c>git</c> section), as a short phrase, or null when it is the same or either has no git state.
    /// </summary>
    public static string? CodeChange(string? earlier, string? current)
    {
        static (string? Commit, string? Patch)? Code(string? json)
        {
            if (string.IsNullOrEmpty(json))
            {
                return null;
            }
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object
                    || !doc.RootElement.TryGetProperty("git", out var git) || git.ValueKind != System.Text.Json.JsonValueKind.Object)
                {
                    return null;
                }
                var commit = git.TryGetProperty("commit", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String ? c.GetString() : null;
                var patch = git.TryGetProperty("patch", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString() : null;
                return (commit, patch);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
        if (Code(earlier) is not { } before || Code(current) is not { } now)
        {
            return null;
        }
        if (before.Commit != now.Commit)
        {
            return $"commit {Short(before.Commit)} → {Short(now.Commit)}";
        }
        return before.Patch == now.Patch ? null : "uncommitted changes differ";
    }

    private static string Short(string? commit) => commit is null ? "?" : commit[..Math.Min(12, commit.Length)];

    /// <summary>The machine a worker runs on, as a JSON object (recorded with each trial it runs).</summary>
    public static string Machine(SystemInfoLevel level)
    {
        return Write(w =>
        {
            w.WriteString("host", Environment.MachineName);
            if (level == SystemInfoLevel.None)
            {
                return;
            }
            w.WriteString("os", RuntimeInformation.OSDescription);
            w.WriteString("arch", RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant());
            w.WriteString("cpu", CpuModel());
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteNumber("memory_bytes", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
            w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            w.WriteString("user", Environment.UserName);
            if (level != SystemInfoLevel.Full)
            {
                return;
            }
            w.WriteStartArray("gpus");
            foreach (var gpu in Gpus())
            {
                w.WriteStringValue(gpu);
            }
            w.WriteEndArray();
            w.WriteStartObject("env");
            foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => ((string)e.Key, (string?)e.Value ?? string.Empty))
                .Where(e => SelectedVariablePrefixes.Any(p => e.Item1.StartsWith(p, StringComparison.Ordinal)))
                .OrderBy(e => e.Item1, StringComparer.Ordinal))
            {
                w.WriteString(name, Redactor.RedactVariable(name, value));
            }
            w.WriteEndObject();
        });
    }

    private static string? CpuModel()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Gpus()
    {
        var output = Run("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], Directory.GetCurrentDirectory());
        return output is null ? [] : output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The git state of the directory, or null outside a repository (or without git).</summary>
    public static string? Git(string directory)
    {
        var commit = Run("git", ["rev-parse", "HEAD"], directory)?.Trim();
        if (string.IsNullOrEmpty(commit))
        {
            return null;
        }
        var branch = Run("git", ["rev-parse", "--abbrev-ref", "HEAD"], directory)?.Trim();
        var status = Run("git", ["status", "--porcelain"], directory) ?? string.Empty;
        // Binary files appear as "Binary files ... differ": their contents are never stored.
        var patch = Run("git", ["diff", "HEAD", "--no-color", "--no-ext-diff"], directory) ?? string.Empty;
        var truncated = Encoding.UTF8.GetByteCount(patch) > MaxPatchBytes;
        if (truncated)
        {
            patch = patch[..Math.Min(patch.Length, MaxPatchBytes)];
        }
        var remote = Run("git", ["remote", "get-url", "origin"], directory)?.Trim();
        return Write(w =>
        {
            w.WriteString("commit", commit);
            w.WriteString("branch", branch);
            w.WriteBoolean("dirty", status.Length > 0);
            if (!string.IsNullOrEmpty(remote))
            {
                w.WriteString("remote", Redactor.RedactText(remote));
            }
            w.WriteString("patch", patch.Length > 0 ? Redactor.RedactText(patch) : null);
            w.WriteBoolean("patch_truncated", truncated);
            w.WriteStartArray("untracked");
            foreach (var line in status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("??", StringComparison.Ordinal)).Take(100))
            {
                w.WriteStringValue(line[3..]);
            }
            w.WriteEndArray();
        });
    }

    private static string? Run(string program, string[] args, string directory)
    {
        try
        {
            var info = new ProcessStartInfo(program)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(10_000))
            {
                Execution.ProcessTree.Kill(process, group: false);
                return null;
            }
            return process.ExitCode == 0 ? output.GetAwaiter().GetResult() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
