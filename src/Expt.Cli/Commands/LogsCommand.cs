using System.CommandLine;
using Expt.Execution;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt logs ID</c>: a trial's captured stdout (or stderr), optionally followed while it runs.</summary>
internal sealed class LogsCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _id = new("id") { Description = "Trial id (a unique prefix is enough)" };
    private readonly Option<bool> _stderr = new("--stderr") { Description = "Show stderr instead of stdout" };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new output until the trial ends" };
    private readonly Option<int?> _tail = GlobalOptions.Integer("--tail", "-t", "Only the last N lines", "a number of lines");

    public override IReadOnlyList<string> Examples { get; } = ["expt logs 3fa9", "expt logs 3fa9 --stderr --tail 20", "expt logs 3fa9 --follow"];

    public override Command Build()
    {
        var command = new Command("logs", "Print a trial's captured stdout or stderr.");
        command.Arguments.Add(_id);
        command.Options.Add(_stderr);
        command.Options.Add(_follow);
        command.Options.Add(_tail);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var trial = await Lookup.TrialAsync(store, parseResult.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
        var directory = await TrialDirectories.LocalAsync(store, trial, cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(directory, parseResult.GetValue(_stderr) ? CommandExecutor.StderrFile : CommandExecutor.StdoutFile);
        var output = Env.Out.Profile.Out.Writer;
        long position = 0;
        if (File.Exists(path) && parseResult.GetValue(_tail) is { } tail)
        {
            var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
            foreach (var line in lines.Skip(Math.Max(0, lines.Length - tail)))
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
            position = new FileInfo(path).Length;
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

    private static async Task<long> CopyFromAsync(string path, long position, TextWriter output, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return position;
        }
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length <= position)
        {
            return position;
        }
        stream.Seek(position, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        await output.WriteAsync(await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return stream.Length;
    }
}
