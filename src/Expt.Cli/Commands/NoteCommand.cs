using System.CommandLine;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary><c>expt note ID TEXT</c>: sets (or with --clear removes) the note of trials.</summary>
internal sealed class NoteCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _id = new("id") { Description = "The trial id (or a prefix)" };
    private readonly Argument<string?> _text = new("text") { Description = "The note; - reads it from standard input", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _clear = new("--clear") { Description = "Remove the note" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt note 3fa9c1d2 \"diverged after warm-up; lr too high\"",
        "expt note 3fa9c1d2 --clear",
    ];

    public override Command Build()
    {
        var command = new Command("note", "Write a note on a trial (shown by expt show and expt ls); it replaces the trial's note.");
        command.Arguments.Add(_id);
        command.Arguments.Add(_text);
        command.Options.Add(_clear);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var text = parseResult.GetValue(_text);
        var clear = parseResult.GetValue(_clear);
        if (clear == (text is not null))
        {
            throw new UserException(clear ? "--clear takes no text" : "expected the note's text, or --clear to remove the note");
        }
        if (text == "-")
        {
            // Bounded: a note is a few lines, not whatever a pipe can carry.
            var buffer = new char[StoredValues.MaxNoteLength + 2];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await Env.Input.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
            {
                read += n;
            }
            text = new string(buffer, 0, read);
        }
        if (text is not null && text.Contains('\0', StringComparison.Ordinal))
        {
            throw new UserException("the note holds a NUL character, which no store keeps; a note is text");
        }
        var note = StoredValues.Note(text);
        if (!clear && note is null)
        {
            throw new UserException("the note is empty; use --clear to remove a note");
        }
        if (text is not null && text.Trim().Length > StoredValues.MaxNoteLength)
        {
            throw new UserException($"the note is {text.Trim().Length} characters; at most {StoredValues.MaxNoteLength} are kept");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var trial = await Lookup.TrialAsync(store, parseResult.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
        await store.NoteTrialsAsync([trial.Id], note, cancellationToken).ConfigureAwait(false);
        await Env.Error.WriteLineAsync(note is null ? $"removed the note of {trial.Id}" : $"noted {trial.Id}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
