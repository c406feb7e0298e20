using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Expt.Spec;

namespace Expt.Execution;

/// <summary>
/// One warm Python interpreter (<c>python -m expt._host</c>) that imported the study's module once and runs its trials
/// on request (see the package's <c>expt/_host.py</c> for the protocol): JSON lines, requests on its stdin, replies on
/// its stdout; what it prints itself (at import) goes to its stderr, of which the end is kept for errors.
/// </summary>
internal sealed class PythonHost : IDisposable
{
    // The end of the host's own stderr: an import error's traceback, a crash's last words.
    private const int KeptStderr = 8 * 1024;
    private const int MaxReplyChars = 1 << 20;

    private readonly Process _process;
    private readonly StreamReader _replies;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrGate = new();
    private readonly Task _stderrPump;

    private PythonHost(Process process)
    {
        _process = process;
        _replies = process.StandardOutput;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>The source file of the function's module.</summary>
    public string? SourceFile { get; private set; }

    /// <summary>The SHA-256 of that file as imported.</summary>
    public string? SourceHash { get; private set; }

    /// <summary>The host's process id.</summary>
    public int Id => _process.Id;

    /// <summary>False once the host has exited, or said something this side cannot follow.</summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>The last of what the host printed on its own stderr.</summary>
    public string StderrTail
    {
        get
        {
            lock (_stderrGate)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    /// <summary>
    /// Starts a host and waits until it has imported the module: the host, or the reason it could not import it (the
    /// exception and the user's frames of its traceback).
    /// </summary>
    public static async Task<(PythonHost? Host, string? Error)> StartAsync(PythonTarget target, string workDir, IReadOnlyDictionary<string, string> studyEnv, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(target.Interpreter)
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { "-u", "-m", "expt._host", "--function", target.Function, "--mode", PythonTarget.ModeName(target.Mode), "--preload", string.Join(',', target.Preload), "--workdir", workDir })
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in studyEnv)
        {
            // A variable passed through (${NAME}) is set per trial, where a missing one fails that trial.
            if (CommandExecutor.EnvironmentReference(value) is null)
            {
                info.Environment[key] = value;
            }
        }
        info.Environment["PYTHONUNBUFFERED"] = "1";
        PythonPackage.AddToPath(info.Environment);
        if (TrialProcesses.FindProgram(target.Interpreter, workDir) is null)
        {
            return (null, $"cannot start the Python interpreter '{target.Interpreter}': no such program{(target.Interpreter.Contains('/', StringComparison.Ordinal) ? string.Empty : " on PATH")} (python.interpreter in the study file names another)");
        }
        Process process;
        try
        {
            // Marked as this runner's: should Expt die, the watcher ends the host and every trial it forked.
            process = Process.Start(TrialProcesses.Mark(info))!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, $"cannot start the Python interpreter '{target.Interpreter}': {ex.Message}");
        }
        var host = new PythonHost(process);
        using var reply = await host.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reply is not null && reply.RootElement.TryGetProperty("ready", out var ready))
        {
            host.SourceFile = ready.TryGetProperty("file", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            host.SourceHash = ready.TryGetProperty("sha256", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            return (host, null);
        }
        var error = reply is not null && reply.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()
            : null;
        await host.EndAsync().ConfigureAwait(false);
        return (null, $"importing {target.Function} failed: {error ?? host.Described()}");
    }

    /// <summary>Sends one trial's request.</summary>
    public async Task SendAsync(object request, CancellationToken cancellationToken)
    {
        try
        {
            var line = JsonSerializer.Serialize(request) + "\n";
            await _process.StandardInput.WriteAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            Healthy = false; // it has gone: the next read says so
        }
    }

    /// <summary>The host's next reply, or null when it has ended (its stdout closed) or said something unreadable.</summary>
    public async Task<JsonDocument?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            string? line;
            try
            {
                line = await _replies.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                line = null;
            }
            if (line is null)
            {
                Healthy = false;
                return null;
            }
            if (line.Length == 0 || line.Length > MaxReplyChars)
            {
                continue;
            }
            try
            {
                return JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                Healthy = false;
                return null;
            }
        }
    }

    /// <summary>How the host ended, for an error: its exit code or signal, and the end of its stderr.</summary>
    public string Described()
    {
        var how = _process.HasExited
            ? _process.ExitCode > 128 ? $"the interpreter was killed by signal {_process.ExitCode - 128}" : $"the interpreter exited with code {_process.ExitCode.ToString(CultureInfo.InvariantCulture)}"
            : "the interpreter stopped answering";
        var tail = StderrTail;
        return tail.Length == 0 ? how : how + "\n" + tail;
    }

    /// <summary>Ends the host and whatever it runs (its session).</summary>
    public void Kill()
    {
        Healthy = false;
        try
        {
            ProcessTree.KillGroup(_process.Id);
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Ends the host and waits for it (briefly).</summary>
    public async Task EndAsync()
    {
        Kill();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A process that will not die is left to the watcher.
        }
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        try
        {
            // Its stdin closed: an idle host exits by itself.
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
        {
            Kill();
        }
        _process.Dispose();
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await _process.StandardError.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                lock (_stderrGate)
                {
                    _stderr.Append(buffer, 0, read);
                    if (_stderr.Length > KeptStderr * 2)
                    {
                        _stderr.Remove(0, _stderr.Length - KeptStderr);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The host ended.
        }
    }
}
