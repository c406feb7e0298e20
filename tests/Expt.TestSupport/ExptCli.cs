using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Expt.TestSupport;

/// <summary>Runs the built <c>expt</c> (or the test host program) as a user would: a real process, real files.</summary>
public sealed class ExptCli : IDisposable
{
    public ExptCli()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("expt-e2e-").FullName;
    }

    public string Directory { get; }

    public static string ExptDll => Path.Combine(AppContext.BaseDirectory, "expt.dll");

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "Expt.TestHost.dll");

    public string Write(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement.Clone();

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public Process Start(params string[] args) => Start(ExptDll, args);

    /// <summary>
    /// Starts expt with SIGINT at its default disposition. A test run started in the background of a script inherits
    /// SIGINT ignored (POSIX shells do that to background jobs), and a program must respect an inherited ignore; the
    /// interrupt tests need Ctrl+C to reach expt whatever started the test run.
    /// </summary>
    public Process StartInterruptible(params string[] args) =>
        Start(ExptDll, args, wrapper: ["python3", "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"]);

    public Process Start(string dll, IEnumerable<string> args, IDictionary<string, string>? env = null, IReadOnlyList<string>? wrapper = null) =>
        StartProgram(wrapper?[0] ?? "dotnet", [.. wrapper?.Skip(1).Append("dotnet") ?? [], dll, .. args], env);

    /// <summary>Starts any program in the test's directory, with the same environment rules as expt.</summary>
    public Process StartProgram(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Remove("EXPT_STORE");
        // The GPUs of whatever runs the tests are not the tests' business: they name their own.
        info.Environment.Remove("CUDA_VISIBLE_DEVICES");
        info.Environment["TERM"] = "dumb";
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        return Process.Start(info)!;
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(ExptDll, args);

    public async Task<Result> RunAsync(string dll, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        using var process = Start(dll, args, env);
        process.StandardInput.Close();
        return await WaitAsync(process, timeout ?? TimeSpan.FromMinutes(2));
    }

    /// <summary>Runs any program in the test's directory to its end (a Python script reading the store, say).</summary>
    public async Task<Result> RunProgramAsync(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        using var process = StartProgram(program, args, env);
        process.StandardInput.Close();
        return await WaitAsync(process, TimeSpan.FromMinutes(2));
    }

    public static async Task<Result> WaitAsync(Process process, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"expt did not finish within {timeout}: {await stderr}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends a real signal, as a terminal's Ctrl+C or a scheduler's kill would.</summary>
    public static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Command lines of live processes running exactly <paramref name="program"/> <paramref name="argument"/> (from /proc).</summary>
    public static List<string> ProcessesRunning(string program, string argument) =>
        System.IO.Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline"))
            .Select(path =>
            {
                try
                {
                    return File.ReadAllText(path);
                }
                catch (IOException)
                {
                    return string.Empty;
                }
                catch (UnauthorizedAccessException)
                {
                    return string.Empty;
                }
            })
            .Where(cmdline => cmdline == program + "\0" + argument + "\0")
            .ToList();

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout} for {what}");
            }
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
