using System.Text;

namespace Expt.Execution;

/// <summary>
/// A trial's stdout and stderr, copied from their pipes to <c>stdout.log</c> and <c>stderr.log</c> in its directory
/// (each file made on its first byte; known secrets masked on the way), and echoed line by line under <c>-v</c>.
/// </summary>
internal sealed class TrialOutput : IAsyncDisposable
{
    private readonly LazyFile _stdout;
    private readonly LazyFile _stderr;

    private TrialOutput(LazyFile stdout, LazyFile stderr, Task pumps)
    {
        _stdout = stdout;
        _stderr = stderr;
        Pumps = pumps;
    }

    /// <summary>Completes when both streams have ended (every writer closed them).</summary>
    public Task Pumps { get; }

    /// <summary>Starts copying both streams.</summary>
    public static TrialOutput Start(Stream stdout, Stream stderr, TrialContext context, Action<TrialContext, string, bool>? echo)
    {
        var dir = context.TrialDirectory;
        var stdoutFile = new LazyFile(Path.Combine(dir, CommandExecutor.StdoutFile), context.Scrubber);
        var stderrFile = new LazyFile(Path.Combine(dir, CommandExecutor.StderrFile), context.Scrubber);
        var pumps = Task.WhenAll(
            PumpAsync(stdout, stdoutFile, context, echo, false),
            PumpAsync(stderr, stderrFile, context, echo, true));
        return new TrialOutput(stdoutFile, stderrFile, pumps);
    }

    /// <summary>Waits for the streams to end, at most <paramref name="grace"/>: something outside the trial's group may still hold them.</summary>
    public async Task EndAsync(TimeSpan grace, TimeProvider time)
    {
        await Task.WhenAny(Pumps, Task.Delay(grace, time, CancellationToken.None)).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stdout.DisposeAsync().ConfigureAwait(false);
        await _stderr.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task PumpAsync(Stream source, LazyFile target, TrialContext context, Action<TrialContext, string, bool>? echo, bool isStderr)
    {
        try
        {
            await CopyAsync(source, target, context, echo, isStderr).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The trial ended and its log was closed while something it left behind (now ended) still wrote.
        }
    }

    private static async Task CopyAsync(Stream source, LazyFile target, TrialContext context, Action<TrialContext, string, bool>? echo, bool isStderr)
    {
        if (echo is null)
        {
            var buffer = new byte[8192];
            int read;
            while ((read = await source.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                await target.Stream.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false);
            }
            return;
        }
        using var reader = new StreamReader(source, Encoding.UTF8);
        while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            await target.Stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await target.Stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            echo(context, context.Scrubber.Scrub(line), isStderr);
        }
    }

    /// <summary>A log file created on the first byte: a silent trial costs no files (thousands of short trials add up).</summary>
    private sealed class LazyFile(string path, Provenance.SecretScrubber scrubber) : IAsyncDisposable
    {
        private Stream? _stream;

        // Known secrets (a password the trial echoes) are masked before they reach the disk.
        public Stream Stream => _stream ??= scrubber.Wrap(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096, useAsync: false));

        public async ValueTask DisposeAsync()
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
