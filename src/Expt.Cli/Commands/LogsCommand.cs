using System.CommandLine;
using Expt.Execution;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt logs ID</c>: a trial's captured stdout (or stderr), optionally followed while it runs. What a trial printed
/// is shown, not obeyed: control sequences (screen clearing, OSC 52 clipboard writes, window titles) are escaped
/// (<c>\e]52;...</c>), a lone carriage return (a progress bar redrawing its line) ends a line; <c>--raw</c> gives the
/// bytes as written.
/// </summary>
internal sealed class LogsCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _id = new("id") { Description = "Trial id (a unique prefix is enough)" };
    private readonly Option<bool> _stderr = new("--stderr") { Description = "Show stderr instead of stdout" };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new output until the trial ends" };
    private readonly Option<int?> _tail = GlobalOptions.Integer("--tail", "-t", "Only the last N lines", "a number of lines");
    private readonly Option<bool> _raw = new("--raw") { Description = "The bytes as the trial wrote them, control sequences included (to a file, not a terminal)" };

    public override IReadOnlyList<string> Examples { get; } = ["expt logs 3fa9", "expt logs 3fa9 --stderr --tail 20", "expt logs 3fa9 --follow"];

    public override Command Build()
    {
        var command = new Command("logs", "Print a trial's captured stdout or stderr.");
        command.Arguments.Add(_id);
        command.Options.Add(_stderr);
        command.Options.Add(_follow);
        command.Options.Add(_tail);
        command.Options.Add(_raw);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var trial = await Lookup.TrialAsync(store, parseResult.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
        var directory = await TrialDirectories.LocalAsync(store, trial, cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(directory, parseResult.GetValue(_stderr) ? CommandExecutor.StderrFile : CommandExecutor.StdoutFile);
        var output = parseResult.GetValue(_raw) ? Env.Out.Profile.Out.Writer : new EscapingWriter(Env.Out.Profile.Out.Writer);
        long position = 0;
        if (parseResult.GetValue(_tail) is { } tail)
        {
            if (tail < 0)
            {
                throw new UserException($"--tail: expected 0 or more lines, got {tail}");
            }
            // Seek from the end: the last lines of a 1 GB log cost what they are, not the whole file.
            position = TailStart(path, tail);
        }
        position = await CopyFromAsync(path, position, output, cancellationToken).ConfigureAwait(false);
        if (parseResult.GetValue(_follow))
        {
            // Poll the file and the trial: a log is followed until its trial has ended and nothing new arrived.
            while (!cancellationToken.IsCancellationRequested)
            {
                var current = (await store.ListTrialsAsync(new TrialFilter { Ids = [trial.Id] }, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
                var before = position;
                position = await CopyFromAsync(path, position, output, cancellationToken).ConfigureAwait(false);
                if (current is null || (current.Status is not (TrialStatus.Running or TrialStatus.Pending) && position == before))
                {
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), Env.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!File.Exists(path))
        {
            await Env.Error.WriteLineAsync($"trial {trial.Id} has no {Path.GetFileName(path)} (it wrote nothing there, or has not started)").ConfigureAwait(false);
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Where the last <paramref name="lines"/> lines of a file begin, found by reading backwards in blocks.</summary>
    internal static long TailStart(string path, int lines)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length == 0)
        {
            return 0;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var end = stream.Length;
        if (lines == 0)
        {
            return end;
        }
        var buffer = new byte[64 * 1024];
        var newlines = 0;
        var position = end;
        // A final newline ends the last line; it does not start an empty one.
        var skipLast = true;
        while (position > 0)
        {
            var count = (int)Math.Min(buffer.Length, position);
            position -= count;
            stream.Seek(position, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, count);
            for (var i = count - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                {
                    skipLast = false;
                    continue;
                }
                if (skipLast)
                {
                    skipLast = false;
                    continue;
                }
                if (++newlines == lines)
                {
                    return position + i + 1;
                }
            }
        }
        return 0;
    }

    /// <summary>Copies the file from <paramref name="position"/> to its current end, in blocks (memory stays small whatever its size).</summary>
    private static async Task<long> CopyFromAsync(string path, long position, TextWriter output, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        // A link or a FIFO in place of the log is not followed or opened.
        if (!info.Exists || info.LinkTarget is not null || info.Length == 0)
        {
            return position;
        }
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var end = stream.Length;
        if (end <= position)
        {
            return position;
        }
        stream.Seek(position, SeekOrigin.Begin);
        var decoder = System.Text.Encoding.UTF8.GetDecoder();
        var bytes = new byte[64 * 1024];
        var chars = new char[System.Text.Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var remaining = end - position;
        while (remaining > 0)
        {
            var read = await stream.ReadAsync(bytes.AsMemory(0, (int)Math.Min(bytes.Length, remaining)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            remaining -= read;
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: remaining == 0);
            await output.WriteAsync(chars.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return end - remaining;
    }

    /// <summary>Writes text with its control characters shown as escapes; a lone CR becomes a line break.</summary>
    private sealed class EscapingWriter(TextWriter inner) : TextWriter
    {
        private bool _afterCarriageReturn;

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            var text = new System.Text.StringBuilder(buffer.Length);
            foreach (var c in buffer)
            {
                if (_afterCarriageReturn && c != '\n')
                {
                    text.Append('\n');
                }
                _afterCarriageReturn = c == '\r';
                if (c != '\r')
                {
                    text.Append(c);
                }
            }
            inner.Write(Text.TerminalText.Escape(text.ToString(), keepLines: true));
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return Task.CompletedTask;
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }
    }
}
